"""Customer de-duplication with Splink on DuckDB (R-DAT-3).

The same outlet is often entered more than once (a new id when a clerk did not find the
existing one), with its name written differently: full-width letters, traditional characters,
spaces, 有限公司 or not, a typo. Records are compared on their standard forms (see
:mod:`tierwise.clean.names`), blocked on phone, standard name and street, and scored by a
Fellegi-Sunter model trained without labels (random sampling for u, EM for m). Pairs above
the threshold are clustered (connected components); each cluster keeps one surviving id and
every merged id keeps a link to it.

Outlets of one chain share the company name and often a similar store name, but not phone and
street; the model learns that from the data, and the name comparison is on the outlet name
(branch markers kept), not the company.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from tierwise.clean.address import Gazetteer, split_address
from tierwise.clean.names import fold_width, normalize_name, normalize_phone

if TYPE_CHECKING:
    from splink import SettingsCreator

LINK_COLUMNS = ("source_id", "customer_id", "match_probability", "cluster_size")


@dataclass(frozen=True)
class DedupeParams:
    """Parameters of the duplicate model.

    Parameters
    ----------
    threshold:
        Smallest match probability that links two records.
    max_pairs_for_u:
        Random pairs sampled to estimate the u probabilities.
    seed:
        Seed of the sampling, for reproducible results.
    em:
        Re-estimate the m probabilities by expectation maximisation (off by default: with
        duplicates at a few per cent EM tends to drift or underflow; the priors hold).
    """

    threshold: float = 0.99
    max_pairs_for_u: float = 2e6
    seed: int = 7
    em: bool = False


def house_number(street: str) -> str:
    """The numbers of a street address (路382号附1号 -> 382-1): outlets differ here."""
    return "-".join(re.findall(r"\d+", fold_width(street or "")))


def prepare(customers: pd.DataFrame, gazetteer: Gazetteer | None = None) -> pd.DataFrame:
    """The comparison columns of each customer (standard name, phone, street ...)."""
    addr = [
        split_address(a, p, c, d, gazetteer)
        for a, p, c, d in zip(
            customers["address"],
            customers["province"],
            customers["city"],
            customers["district"],
            strict=True,
        )
    ]
    out = pd.DataFrame(
        {
            "unique_id": customers["customer_id"].astype(str).to_numpy(),
            "name_std": [normalize_name(n) for n in customers["name"]],
            "account_std": [normalize_name(n) for n in customers["account_name"]],
            "phone_std": [normalize_phone(p) for p in customers["phone"]],
            "contact_std": [normalize_name(n) for n in customers["contact_name"]],
            "district_std": [a.province + a.city + a.district for a in addr],
            "street_std": [normalize_name(a.street) for a in addr],
            "house_std": [house_number(a.street) for a in addr],
        }
    )
    for col in out.columns[1:]:
        out[col] = out[col].replace("", None)
    return out


def _settings() -> SettingsCreator:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("phone_std"),
            block_on("name_std"),
            block_on("street_std"),
            block_on("district_std", "contact_std"),
        ],
        # m probabilities start from what a clerk's re-entry looks like (same district and
        # street, a close name, the phone often changed); u comes from random pairs. The
        # contact person is only used for blocking: the outlets of a chain often share it.
        comparisons=[
            cl.JaroWinklerAtThresholds("name_std", [0.95, 0.88, 0.75]).configure(
                m_probabilities=[0.7, 0.15, 0.08, 0.04, 0.03]
            ),
            cl.JaroWinklerAtThresholds("account_std", [0.95, 0.85]).configure(
                m_probabilities=[0.75, 0.12, 0.08, 0.05]
            ),
            cl.ExactMatch("phone_std").configure(m_probabilities=[0.6, 0.4]),
            # Two outlets of a chain on the same street differ in the house number, so a
            # near-equal street only counts when the numbers agree.
            cl.CustomComparison(
                output_column_name="street_std",
                comparison_levels=[
                    cll.NullLevel("street_std"),
                    cll.ExactMatchLevel("street_std").configure(m_probability=0.95),
                    cll.And(
                        cll.LevenshteinLevel("street_std", 2), cll.ExactMatchLevel("house_std")
                    ).configure(m_probability=0.03),
                    cll.ElseLevel().configure(m_probability=0.02),
                ],
            ),
            cl.ExactMatch("district_std").configure(m_probabilities=[0.95, 0.05]),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def find_duplicates(prepared: pd.DataFrame, params: DedupeParams = DedupeParams()) -> pd.DataFrame:
    """Scored pairs of records that are the same customer.

    Parameters
    ----------
    prepared:
        Output of :func:`prepare`.
    params:
        Model parameters.

    Returns
    -------
    pandas.DataFrame
        ``unique_id_l``, ``unique_id_r``, ``match_probability`` for pairs at or above the
        threshold.
    """
    from splink import DuckDBAPI, Linker, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    if len(prepared) < 2:
        return pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability"])
    db = DuckDBAPI()
    sdf = db.register(prepared, dataset_display_name="customers")
    linker = Linker(sdf, _settings(), log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("phone_std", "name_std"), block_on("name_std", "street_std")], recall=0.8
    )
    n = len(prepared)
    floor = 1.0 / (n * (n - 1) / 2)  # one duplicate pair in the book
    prior = linker._settings_obj._probability_two_random_records_match
    if not floor <= prior < 0.5:  # too few records to estimate it (a tiny book)
        linker._settings_obj._probability_two_random_records_match = min(max(prior, floor), 0.5)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=params.max_pairs_for_u, seed=params.seed
    )
    if params.em:
        for rule in (block_on("phone_std"), block_on("street_std"), block_on("name_std")):
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, fix_probability_two_random_records_match=True
                )
            except ValueError:  # too few duplicates for EM to converge: keep the priors
                break
    pred = linker.inference.predict(
        threshold_match_probability=params.threshold, warning_mode="never"
    )
    df: pd.DataFrame = pred.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    return df[["unique_id_l", "unique_id_r", "match_probability"]].copy()


def cluster(
    ids: list[str], pairs: pd.DataFrame, priority: dict[str, tuple[object, ...]] | None = None
) -> pd.DataFrame:
    """Connected components of the linked pairs, each with a surviving id.

    Parameters
    ----------
    ids:
        Every customer id (singletons link to themselves).
    pairs:
        ``unique_id_l``, ``unique_id_r``, ``match_probability``.
    priority:
        Sort key per id; the smallest key survives (default: the id itself).

    Returns
    -------
    pandas.DataFrame
        The link table: ``source_id`` (every id), ``customer_id`` (its survivor),
        ``match_probability`` (best link of the source id, 1.0 for survivors) and
        ``cluster_size``.
    """
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    best: dict[str, float] = {}
    for left, right, p in pairs[["unique_id_l", "unique_id_r", "match_probability"]].itertuples(
        index=False
    ):
        a, b = find(str(left)), find(str(right))
        if a != b:
            parent[a] = b
        best[str(left)] = max(best.get(str(left), 0.0), float(p))
        best[str(right)] = max(best.get(str(right), 0.0), float(p))
    groups: dict[str, list[str]] = {}
    for i in ids:
        groups.setdefault(find(i), []).append(i)
    key = priority or {}
    rows = []
    for members in groups.values():
        survivor = min(members, key=lambda m: (key.get(m, ()), m))
        for m in members:
            rows.append((m, survivor, 1.0 if m == survivor else best.get(m, 0.0), len(members)))
    return pd.DataFrame(rows, columns=list(LINK_COLUMNS))
