"""CDNOW data and the reference library ``lifetimes`` (test-only dependency, ../shared/INFRA.md).

The CDNOW files are read from inside the installed ``lifetimes`` wheel, never copied into the
repository. ``lifetimes.datasets`` is not used because it imports ``pkg_resources``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from importlib.resources import files
from types import ModuleType

import pandas as pd
import pytest
from cny_history import CUT_IN_CLOSURE, CnyHistory, make_cny_history
from pandas.errors import Pandas4Warning
from threadpoolctl import threadpool_limits

from tierwise.models.orders_lake import read_cdnow
from tierwise.models.snapshots import build_snapshots, training_cut_dates


@pytest.fixture(scope="session", autouse=True)
def _one_thread() -> Iterator[None]:
    """Run the boosters on one thread: on a busy 2-core machine OpenMP's second thread made
    a 28k-row fit 5x slower (6 s instead of 1 s), and results do not depend on it."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="session")
def lifetimes() -> ModuleType:
    """The ``lifetimes`` package, imported without its one pandas-3 deprecation warning.

    lifetimes 0.11.3 sets ``pd.options.mode.chained_assignment = None`` when ``lifetimes.utils``
    is imported; pandas 3 deprecates that option (Pandas4Warning) and the suite turns warnings
    into errors. Only that exact warning is ignored, only around the import. The fitters
    themselves import and run unchanged with numpy 2 / scipy 1.17 / pandas 3.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message="The 'mode.chained_assignment' option is deprecated",
            category=Pandas4Warning,
        )
        import lifetimes as lt
        import lifetimes.utils  # the module that sets the option
    return lt


def _dataset(lt: ModuleType, name: str) -> str:
    # files() imports the package: go through the fixture so the import is warning-clean.
    return str(files(lt) / "datasets" / name)


@pytest.fixture(scope="session")
def cdnow_summary(lifetimes: ModuleType) -> pd.DataFrame:
    """The 2,357-customer CDNOW cohort in weeks: frequency, recency, T, monetary_value.

    From ``cdnow_customers_summary_with_transactions.csv`` (x, t_x, T, zbar), the data of
    Fader, Hardie & Lee (2005) and of Fader & Hardie's Gamma-Gamma note.
    """
    raw = pd.read_csv(_dataset(lifetimes, "cdnow_customers_summary_with_transactions.csv"))
    return raw.rename(
        columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    ).set_index("ID")


@pytest.fixture(scope="session")
def cdnow_transactions(lifetimes: ModuleType) -> pd.DataFrame:
    """CDNOW sample transactions: customer_id, order_time (date), amount (dollars)."""
    return read_cdnow(_dataset(lifetimes, "CDNOW_sample.txt"))


@pytest.fixture(scope="session")
def cny_history() -> CnyHistory:
    return make_cny_history()


@pytest.fixture(scope="session")
def cny_snapshots(cny_history: CnyHistory) -> pd.DataFrame:
    """Training rows as of the cut in the 2026 closure: 60 fortnightly cuts back to 2023."""
    cuts = training_cut_dates(CUT_IN_CLOSURE, horizon_days=90, n_cuts=60, every_days=14)
    return build_snapshots(cny_history.orders, cuts, CUT_IN_CLOSURE)
