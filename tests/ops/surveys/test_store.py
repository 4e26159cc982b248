"""NPS survey waves in the store (R-OPS-8, issue 26): a wave sampled by tier within the
cooldown, answers loaded with bad rows kept, one follow-up task per detractor answer (through
the retention task table), NPS per tier and its trend over waves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, insert, select

from tierwise.errors import ConflictError, NotFoundError, UsageError
from tierwise.ops import retention, tasks
from tierwise.ops.surveys import service
from tierwise.ops.surveys.policy import parse_survey_policy
from tierwise.policy.schema import Retention
from tierwise.store.migrate import upgrade
from tierwise.store.schema import (
    CustomerPrediction,
    CustomerProfile,
    CustomerTier,
    RetentionTask,
    SurveyAnswer,
)

NOW = dt.datetime(2026, 3, 2, 8)
D = dt.date
POLICY = parse_survey_policy(
    {
        "name": "t",
        "quotas": {"gold": 4, "bronze": 3},
        "cooldown_days": 60,
        "followup": {"within_days": 2},
    }
)


@pytest.fixture
def store(engine: Engine) -> Engine:
    upgrade(engine)
    ids = [f"g{i}" for i in range(6)] + [f"b{i}" for i in range(3)]
    with engine.begin() as conn:
        conn.execute(
            insert(CustomerTier),
            [
                {
                    "customer_id": c,
                    "tier": "gold" if c[0] == "g" else "bronze",
                    "score": 1.0,
                    "run_id": "r",
                    "since": D(2026, 1, 1),
                    "updated_at": NOW,
                }
                for c in ids
            ],
        )
        conn.execute(
            insert(CustomerProfile),
            [
                {
                    "customer_id": c,
                    "name": c,
                    "account_manager": "m1" if c[0] == "g" else "m2",
                    "refreshed_at": NOW,
                }
                for c in ids
            ],
        )
        conn.execute(
            insert(CustomerPrediction),
            [
                {
                    "customer_id": c,
                    "as_of": D(2026, 3, 1),
                    "clv": 100.0,
                    "churn_probability": 0.1 if i % 2 else 0.7,
                    "refreshed_at": NOW,
                }
                for i, c in enumerate(ids)
            ],
        )
    return engine


def _csv(tmp: Path, name: str, rows: list[tuple[str, object]]) -> Path:
    p = tmp / name
    pd.DataFrame(rows, columns=["customer_id", "score"]).to_csv(p, index=False)
    return p


def test_a_wave_meets_its_quotas_and_nobody_is_surveyed_twice_in_the_cooldown(
    store: Engine,
) -> None:
    w1 = service.create_wave(store, POLICY, sent_on=D(2026, 3, 1), actor="t", now=NOW)
    assert {s.tier: s.sampled for s in w1.strata} == {"gold": 4, "bronze": 3}
    w2 = service.create_wave(store, POLICY, sent_on=D(2026, 4, 1), actor="t", now=NOW)
    assert {s.tier: (s.eligible, s.sampled) for s in w2.strata} == {
        "gold": (2, 2),
        "bronze": (0, 0),
    }
    w3 = service.create_wave(store, POLICY, sent_on=D(2026, 5, 5), actor="t", now=NOW)
    assert w3.sampled == 7  # 65 days after the first: its recipients are eligible again
    listed = service.waves(store)
    assert [(w["wave_id"], w["recipients"]) for w in listed] == [
        (w3.wave_id, 7),
        (w2.wave_id, 2),
        (w1.wave_id, 7),
    ]


def test_answers_load_rejects_are_kept_and_each_detractor_gets_one_task(
    store: Engine, tmp_path: Path
) -> None:
    w = service.create_wave(store, POLICY, sent_on=D(2026, 3, 1), actor="t", now=NOW)
    with store.connect() as conn:
        sent = sorted(
            r[0]
            for r in conn.execute(
                select(CustomerTier.customer_id).where(CustomerTier.tier == "gold")
            )
        )
    with store.connect() as conn:
        from tierwise.store.schema import SurveyRecipient

        got = sorted(
            conn.execute(
                select(SurveyRecipient.customer_id).where(SurveyRecipient.wave_id == w.wave_id)
            ).scalars()
        )
    g = [c for c in got if c.startswith("g")]
    rows = [(g[0], 10), (g[1], 3), (g[2], 12), ("nobody", 9), (g[1], 9)]
    res = service.load_answers(store, w.wave_id, _csv(tmp_path, "a.csv", rows), POLICY, now=NOW)
    assert res.loaded == 2 and len(res.followups) == 1
    assert [(r["row"], r["column"], r["value"]) for r in res.rejected] == [
        (4, "score", "12"),
        (5, "customer_id", "nobody"),
        (6, "customer_id", g[1]),
    ]
    kept = service.rejects(store, w.wave_id)
    assert [(r["row"], r["reason"]) for r in kept] == [
        (4, "not a whole number 0-10"),
        (5, "not sent this survey wave"),
        (6, "a second answer from this customer"),
    ]
    task = retention.task_row(store, res.followups[0])
    assert (task["customer_id"], task["tag"], task["account_manager"], task["status"]) == (
        g[1],
        "nps_detractor",
        "m1",
        "open",
    )
    assert task["due_date"] == D(2026, 3, 4) and task["log"][0]["to_status"] == "open"
    # the manager finds it in their task list, like any call-back
    listed, total = tasks.list_tasks(
        store, tasks.TaskFilter(scope_manager="m1"), today=D(2026, 3, 2)
    )
    assert (
        total == 1 and listed[0]["id"] == res.followups[0] and listed[0]["tag"] == "nps_detractor"
    )
    # loading the same file again: every row refused, no second task
    again = service.load_answers(store, w.wave_id, _csv(tmp_path, "a.csv", rows), POLICY, now=NOW)
    assert again.loaded == 0 and again.followups == [] and len(again.rejected) == 5
    with store.begin() as conn:
        assert service.open_followups(conn, POLICY, now=NOW) == []
        assert (
            conn.execute(
                select(SurveyAnswer.followup_task_id).where(SurveyAnswer.customer_id == g[1])
            ).scalar_one()
            == res.followups[0]
        )
    # the retention sync (a churn tag episode) leaves the follow-up alone, and a churn task
    # can open beside it for the same customer
    with store.begin() as conn:
        churn = retention.sync_tasks(conn, Retention(), {g[1]}, now=NOW, source="run")
    assert len(churn.opened) == 1 and churn.recovered == ()
    with store.begin() as conn:
        synced = retention.sync_tasks(conn, Retention(), set(), now=NOW, source="run")
    assert synced.recovered == churn.opened  # the churn task closes ...
    assert retention.task_row(store, res.followups[0])["status"] == "open"  # ... not this one
    with store.connect() as conn:
        assert len(conn.execute(select(RetentionTask.id)).all()) == 2
    assert len(sent) == 6  # every gold customer exists; 4 were sent


def test_nps_per_tier_and_its_trend_over_waves(store: Engine, tmp_path: Path) -> None:
    w1 = service.create_wave(store, POLICY, sent_on=D(2026, 1, 1), actor="t", now=NOW)
    w2 = service.create_wave(store, POLICY, sent_on=D(2026, 4, 1), actor="t", now=NOW)
    with store.connect() as conn:
        from tierwise.store.schema import SurveyRecipient

        def sent(w: int) -> list[str]:
            return sorted(
                conn.execute(
                    select(SurveyRecipient.customer_id).where(SurveyRecipient.wave_id == w)
                ).scalars()
            )

        s1, s2 = sent(w1.wave_id), sent(w2.wave_id)
    a1 = [(c, 10 if c.startswith("g") else 2) for c in s1]
    a2 = [(c, 0) for c in s2]
    service.load_answers(store, w1.wave_id, _csv(tmp_path, "1.csv", a1), POLICY, now=NOW)
    service.load_answers(store, w2.wave_id, _csv(tmp_path, "2.csv", a2), POLICY, now=NOW)
    rep = service.report(store)
    got = {(r.wave_id, r.tier): (r.answers, r.nps) for r in rep.itertuples()}
    assert got[(w1.wave_id, "gold")] == (4, 100.0) and got[(w1.wave_id, "bronze")] == (3, -100.0)
    assert got[(w2.wave_id, "gold")] == (sum(c[0] == "g" for c in s2), -100.0)
    assert rep["wave_id"].tolist()[0] == w1.wave_id  # oldest first
    with pytest.raises(NotFoundError):
        service.rejects(store, 999)


# A follow-up wave of a random subsample of the non-respondents (two-phase survey, issue 26)


def _answers(rows: list[tuple[str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(c, str(s), "", "") for c, s in rows],
        columns=["customer_id", "score", "comment", "answered_at"],
    )


def _sent(engine: Engine, wave_id: int) -> list[str]:
    return [r["customer_id"] for r in service.recipients(engine, wave_id)]


def test_followup_draws_the_non_respondents_closes_the_wave_and_combines(
    store: Engine,
) -> None:
    w = service.create_wave(store, POLICY, sent_on=D(2026, 3, 1), actor="t", now=NOW)
    sent = _sent(store, w.wave_id)
    gold = [c for c in sent if c.startswith("g")]  # 4 gold, 3 bronze
    service.load_frame(store, w.wave_id, _answers([(gold[0], 10)]), POLICY, source="t", now=NOW)
    f = service.create_followup(
        store, w.wave_id, fraction=0.5, sent_on=D(2026, 3, 8), actor="t", now=NOW, seed=1
    )
    assert f.by_tier == {
        "gold": {"nonrespondents": 3, "subsampled": 2},
        "bronze": {"nonrespondents": 3, "subsampled": 2},
    }
    drawn = _sent(store, f.wave_id)
    assert len(drawn) == 4 and gold[0] not in drawn and set(drawn) <= set(sent)
    # the parent is closed: a late answer is refused and kept with its reason
    late = next(c for c in sent if c not in drawn and c != gold[0])
    r = service.load_frame(store, w.wave_id, _answers([(late, 9)]), POLICY, source="t", now=NOW)
    assert r.loaded == 0 and "closed" in r.rejected[0]["reason"]
    # the follow-up takes answers from its recipients only, one each; a detractor -> task
    g2 = [c for c in drawn if c.startswith("g")]
    rows = [(g2[0], 0), (g2[1], 10), (late, 10), (g2[0], 10)]
    r2 = service.load_frame(store, f.wave_id, _answers(rows), POLICY, source="call", now=NOW)
    assert r2.loaded == 2 and len(r2.followups) == 1
    assert [x["reason"] for x in r2.rejected] == [
        "not sent this survey wave",
        "a second answer from this customer",
    ]
    rep = service.report(store)
    assert set(rep["wave_id"]) == {w.wave_id}  # the follow-up is part of its parent's figure
    g = rep.set_index("tier").loc["gold"]
    # 1 promoter answered; each cell's non-respondents stand with its follow-up answers
    cell = {r["customer_id"]: r["cell"] for r in service.recipients(store, w.wave_id)}
    miss = [c for c in gold if c != gold[0]]
    m = {c: sum(cell[x] == c for x in miss) for c in {cell[x] for x in miss}}
    if set(m) <= {cell[g2[0]], cell[g2[1]]} and cell[g2[0]] != cell[g2[1]]:
        want = 1 - m[cell[g2[0]]] + m[cell[g2[1]]]  # one answer per cell
    else:  # one cell (or a cell nobody answered for: taken as one): 3 as -1 and +1 halves
        want = 1 - 1.5 + 1.5
    assert g["nps_two_phase"] == pytest.approx(100 * want / 4)
    assert g["nps"] == pytest.approx(100.0) and g["answers_followup"] == 2
    assert g["followup_wave_id"] == f.wave_id and g["subsampled"] == 2
    b = rep.set_index("tier").loc["bronze"]
    assert b["answers_followup"] == 0 and pd.isna(b["nps_two_phase"])
    listed = {x["wave_id"]: x for x in service.waves(store)}
    assert listed[f.wave_id]["followup_of"] == w.wave_id
    assert listed[f.wave_id]["channel"] == "call"
    assert listed[w.wave_id]["followup_wave_id"] == f.wave_id


def test_one_followup_per_wave_none_of_a_followup_and_bad_fractions(
    store: Engine,
) -> None:
    w = service.create_wave(store, POLICY, sent_on=D(2026, 3, 1), actor="t", now=NOW)
    kw = {"sent_on": D(2026, 3, 8), "actor": "t", "now": NOW}
    for bad in (0.0, 1.5, -0.1):
        with pytest.raises(UsageError):
            service.create_followup(store, w.wave_id, fraction=bad, **kw)  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        service.create_followup(store, w.wave_id, fraction=0.5, channel="fax", **kw)  # type: ignore[arg-type]
    f = service.create_followup(store, w.wave_id, fraction=1.0, **kw)  # type: ignore[arg-type]
    assert f.sampled == 7  # nobody answered: every recipient is called
    with pytest.raises(ConflictError):
        service.create_followup(store, w.wave_id, fraction=0.5, **kw)  # type: ignore[arg-type]
    with pytest.raises(ConflictError):
        service.create_followup(store, f.wave_id, fraction=0.5, **kw)  # type: ignore[arg-type]
