"""The report's sections (R-ANA-8): words in both languages, escaped, no outside asset."""

from __future__ import annotations

import datetime as dt

from tierwise.analytics import texts
from tierwise.analytics.metrics import TierMetrics
from tierwise.analytics.report import Analysis, render_report
from tierwise.analytics.source import RunInfo


def _analysis(label: str) -> Analysis:
    run = RunInfo(
        run_id="r2",
        as_of=dt.date(2025, 6, 30),
        published_at=dt.datetime(2025, 7, 1),
        policy_name="p",
        lookback_days=365,
        entity="outlet",
        ranks={"gold": 0},
        labels={"gold": {"zh": label, "en": "Gold"}},
    )
    row = TierMetrics("gold", 2, 1.0, 3, 600.0, 0.5, 200.0, 300.0, None, 0.0)
    return Analysis(run, [row], None, texts.ZH["no_previous"], None, [])


def test_both_languages_have_the_same_words() -> None:
    assert texts.ZH.keys() == texts.EN.keys()


def test_report_is_self_contained_and_escaped() -> None:
    html = render_report(_analysis("<script>x</script>"), "zh", dt.datetime(2025, 7, 2, 8, 0))
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script" not in html
    assert "<link" not in html and "src=" not in html
    assert "200.00" in html and "50.0%" in html and "—" in html  # return rate: no spend data
    assert texts.ZH["no_previous"] in html and "生成时间 2025-07-02 08:00" in html
    en = render_report(_analysis("黄金"), "en", dt.datetime(2025, 7, 2))
    assert '<html lang="en">' in en and ">Gold<" in en and "黄金" not in en
