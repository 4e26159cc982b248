"""An experiment's population can be a saved audience (issue 23 item 1, issue 20): the
experiment reads the audience's members as of the newest tag snapshot, ANDs them with its
other filters, and records which audience version and date it used."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from tierwise.errors import DataError, PolicyError, UsageError
from tierwise.experiments import service
from tierwise.experiments.design import Design, parse_design
from tierwise.store.schema import CustomerProfile
from tierwise.tags.audience import Frame
from tierwise.tags.service import AudienceSpec, save_audience
from tierwise.tags.snapshot import Snapshot
from tierwise.tags.targets import AudienceSource

NOW = dt.datetime(2025, 7, 1, 9)


def _profiles(engine: Engine) -> None:
    rows = [("c1", "A", "gold"), ("c2", "A", "silver"), ("c3", None, "bronze")]
    with engine.begin() as conn:
        conn.execute(
            insert(CustomerProfile),
            [
                {"customer_id": c, "account_id": a, "name": "门店", "tier": t,
                 "province": "四川省", "city": "成都市", "refreshed_at": NOW}
                for c, a, t in rows
            ],
        )  # fmt: skip


def _design(**population: object) -> Design:
    return parse_design(
        {
            "code": "aud",
            "name": "by audience",
            "population": population,
            "arms": [
                {"code": "control"},
                {"code": "rebate", "treatment": {"kind": "rebate", "rebate_pct": 2}},
            ],
            "start": "2025-07-01",
            "end": "2025-07-31",
        }
    )


def test_the_population_is_the_audience_members_anded_with_the_filters(
    engine: Engine, snapshot: Snapshot, tags_home: Path, tmp_path: Path
) -> None:
    _profiles(engine)
    save_audience(engine, AudienceSpec("chain", "biz_chain"), Frame(snapshot, None),
                  author="user:a", now=NOW)  # fmt: skip
    src = AudienceSource(tags_home, tmp_path / "runs")
    df = service.population(engine, _design(audience="chain"), audiences=src)
    assert sorted(df["customer_id"]) == ["c1", "c2"]  # c3 is not a chain
    assert df.attrs["audience"]["audience"] == "chain"
    assert df.attrs["audience"]["version"] == 1
    assert df.attrs["audience"]["as_of"] == "2025-06-30"  # the newest snapshot
    gold = service.population(engine, _design(audience="chain", tiers=["gold"]), audiences=src)
    assert list(gold["customer_id"]) == ["c1"]


def test_an_audience_population_without_snapshots_or_members_is_refused(
    engine: Engine, snapshot: Snapshot, tags_home: Path, tmp_path: Path
) -> None:
    _profiles(engine)
    f = Frame(snapshot, None)
    save_audience(engine, AudienceSpec("nobody", "biz_chain and not biz_chain"), f,
                  author="user:a", now=NOW)  # fmt: skip
    with pytest.raises(UsageError, match="no tag snapshots"):
        service.population(engine, _design(audience="nobody"))
    src = AudienceSource(tags_home, tmp_path / "runs")
    with pytest.raises(DataError, match=r"audience .nobody. .* has no members"):
        service.population(engine, _design(audience="nobody"), audiences=src)


def test_an_audience_name_must_look_like_one() -> None:
    with pytest.raises(PolicyError, match="audience"):
        _design(audience="Bad Name")
