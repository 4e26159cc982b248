"""Default-risk model (R-OPS-4, issue 22 item 1): labels, features as of a date, backtest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tierwise.errors import DataError
from tierwise.generate import GenerateConfig, generate
from tierwise.models.credit_risk import (
    FEATURES,
    CreditRiskModel,
    default_labels,
    evaluate,
    risk_features,
    snapshots,
)
from tinylake import write_lake

D = dt.date


def _invoice(i: str, cust: str, due: dt.date, amount: float = 100.0) -> dict[str, object]:
    return {
        "invoice_id": i,
        "customer_id": cust,
        "issue_date": due,
        "due_date": due,
        "amount": amount,
    }


def _pay(i: str, cust: str, day: dt.date, amount: float = 100.0) -> dict[str, object]:
    return {
        "payment_id": f"p{i}{day}",
        "invoice_id": i,
        "customer_id": cust,
        "paid_date": day,
        "amount": amount,
    }


def test_label_is_an_invoice_reaching_30_days_overdue_unpaid_inside_the_window(
    tmp_path: Path,
) -> None:
    as_of = D(2026, 3, 1)
    invoices = [
        _invoice("a", "late", D(2026, 2, 10)),  # crosses 30 days on 03-12, paid 03-20: 1
        _invoice("b", "paid", D(2026, 2, 10)),  # paid 03-05, before crossing: 0
        _invoice("c", "old", D(2025, 12, 1)),  # crossed 12-31, before the window: 0
        _invoice("d", "part", D(2026, 4, 1)),  # crosses 05-01, half paid: 1
        _invoice("e", "later", D(2026, 5, 15)),  # crosses 06-14, after the window: 0
        _invoice("z", "end", D(2026, 7, 1)),  # keeps the data past the window
    ]
    payments = [
        _pay("a", "late", D(2026, 3, 20)),
        _pay("b", "paid", D(2026, 3, 5)),
        _pay("d", "part", D(2026, 4, 20), 50.0),
        _pay("z", "end", D(2026, 7, 1)),
    ]
    custs = ["late", "paid", "old", "part", "later", "end", "none"]
    lake = write_lake(
        tmp_path / "lake",
        {
            "customers": [{"customer_id": c} for c in custs],
            "invoices": invoices,
            "payments": payments,
        },
    )
    y = default_labels(lake, as_of, pd.Index(custs))
    assert y.to_dict() == {
        "late": 1,
        "paid": 0,
        "old": 0,
        "part": 1,
        "later": 0,
        "end": 0,
        "none": 0,
    }


def test_labels_refuse_a_window_past_the_data(tmp_path: Path) -> None:
    lake = write_lake(
        tmp_path / "lake",
        {"customers": [{"customer_id": "c"}], "invoices": [_invoice("a", "c", D(2026, 1, 1))]},
    )
    with pytest.raises(DataError, match="before the label window ends"):
        default_labels(lake, D(2026, 1, 1), pd.Index(["c"]))


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("credit-book")
    generate(
        GenerateConfig(customers=1500, months=14, seed=3, end_date=D(2026, 10, 31), exports=False),
        out,
    )
    return out / "lake"


def test_features_only_see_rows_up_to_as_of(book: Path) -> None:
    early = risk_features(book, D(2026, 3, 1))
    assert list(early.columns) == list(FEATURES)
    assert early.notna().all().all()
    later = risk_features(book, D(2026, 8, 1))
    assert later["tenure_days"].max() > early["tenure_days"].max()
    # overdue_trend is the change against 90 days before
    assert np.allclose(
        early["overdue_trend"],
        early["overdue_amount"]
        - risk_features(book, D(2025, 12, 1))["overdue_amount"].reindex(early.index).fillna(0),
    )


@pytest.mark.slow
def test_backtest_on_a_later_period_separates_and_is_calibrated(book: Path) -> None:
    X, y = snapshots(book, [D(2026, 2, 1), D(2026, 5, 3)])
    Xt, yt = snapshots(book, [D(2026, 8, 2)])
    for method in ("gbm", "logistic"):
        model = CreditRiskModel(method=method).fit(X.drop(columns="as_of"), y)
        p = model.predict_proba(Xt)
        m = evaluate(yt, p)
        assert m["auc"] > 0.8, (method, m)
        # calibrated: the mean prediction is close to the later period's base rate
        assert abs(p.mean() - yt.mean()) < 0.03, (method, p.mean(), yt.mean())
        assert m["brier"] < yt.mean() * (1 - yt.mean())  # better than the base rate
    model = CreditRiskModel(method="gbm").fit(X.drop(columns="as_of"), y)
    # monotone: more overdue money never lowers the risk
    worse = Xt.copy()
    worse["overdue_amount"] += 5000
    assert (model.predict_proba(worse) >= model.predict_proba(Xt) - 1e-12).all()
    top = Xt.iloc[[int(np.argmax(model.predict_proba(Xt)))]]
    reasons = model.reasons(top)[0]
    assert reasons and all(r.push > 0 for r in reasons)
    assert reasons[0].text("zh") and reasons[0].text("en") != reasons[0].text("zh")


def test_unfitted_and_bad_inputs() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CreditRiskModel().predict_proba(pd.DataFrame({c: [0.0] for c in FEATURES}))
    with pytest.raises(DataError, match="single class"):
        CreditRiskModel().fit(pd.DataFrame({c: [0.0, 1.0] for c in FEATURES}), [0, 0])
    with pytest.raises(DataError, match="no column"):
        CreditRiskModel().fit(pd.DataFrame({"x": [0.0]}), [0])
