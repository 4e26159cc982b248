"""A campaign definition is data, validated strictly (R-OPS-6, issue 24): every problem is
refused at once with its key path and reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tierwise.errors import PolicyError
from tierwise.ops.campaigns.content import Content, preview, progress_text, render
from tierwise.ops.campaigns.spec import load_campaign_policy, parse_campaign

TODAY = dt.date(2026, 12, 7)


def good(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "winter-hotpot",
        "audience": "gold_hotpot",
        "schedule": {"kind": "once", "start": "2026-12-08"},
        "channels": ["wechat", "sms"],
        "content": {
            "layer": "preference",
            "variants": {
                "default": "{name}您好,{tier}会员专享:{progress}",
                "hotpot": "{name},{categories}冬季备货季,满300减20",
            },
        },
        "coupon": {"gold": {"kind": "amount", "value": 20, "threshold": 300}},
        "budget": 5000,
    }
    return {**base, **over}


def problems(data: dict[str, Any], audiences: set[str] | None = None) -> dict[str, str]:
    with pytest.raises(PolicyError) as err:
        parse_campaign(data, today=TODAY, audiences=audiences)
    return {p["path"]: p["message"] for p in err.value.fields["problems"]}


def test_a_good_campaign_parses_with_a_ten_percent_holdout() -> None:
    spec = parse_campaign(good(), today=TODAY, audiences={"gold_hotpot"})
    assert spec.holdout_share == 0.10
    assert spec.coupon_for("gold") is not None and spec.coupon_for("bronze") is None
    assert spec.budget_fen == 500_000


def test_bad_input_is_refused_all_at_once_with_reasons() -> None:
    data = good(
        schedule={"kind": "once", "start": "2026-12-01"},
        content={"variants": {"default": "{name}: {secret_price} {tier.__class__}"}},
        channels=["fax"],
        colour="red",
    )
    got = problems(data, audiences={"gold_hotpot"})
    assert (
        "unknown variable" in got["content.variants"] and "secret_price" in got["content.variants"]
    )
    assert "not a plain" in got["content.variants"]
    assert "channels.0" in got and got["colour"] == "unknown key"
    # the schedule check needs a valid spec: fixed, it is reported too
    got = problems(good(schedule={"kind": "once", "start": "2026-12-01"}), {"other"})
    assert "in the past" in got["schedule.start"]
    assert "no saved audience 'gold_hotpot'" in got["audience"]


@pytest.mark.parametrize(
    ("schedule", "path", "words"),
    [
        ({"kind": "recurring", "start": "2026-12-08"}, "schedule", "every_days"),
        ({"kind": "triggered"}, "schedule", "needs `event`"),
        (
            {"kind": "triggered", "event": "churn_warning", "to_tier": "gold"},
            "schedule",
            "tier_change",
        ),
        ({"kind": "once", "start": "2026-12-09", "until": "2026-12-08"}, "schedule", "before"),
    ],
)
def test_incomplete_schedules(schedule: dict[str, Any], path: str, words: str) -> None:
    assert words in problems(good(schedule=schedule))[path]


def test_coupon_templates_are_bounded() -> None:
    got = problems(good(coupon={"gold": {"kind": "percent", "value": 10}}))
    assert "max_off" in got["coupon.gold"]
    got = problems(good(coupon={"gold": {"kind": "amount", "value": 50, "threshold": 30}}))
    assert "exceeds the threshold" in got["coupon.gold"]


def test_content_variant_by_preference_layer_and_preview() -> None:
    c = Content.model_validate(good()["content"])
    assert c.variant_for({"preference": "hotpot"}) == "hotpot"
    assert c.variant_for({"preference": "bbq"}) == "default"
    assert c.variant_for(None) == "default"
    shown = preview(c)
    assert set(shown) == {"default", "hotpot"} and "川味小馆" in shown["default"]
    assert render("{name}{products}", {"name": "店"}) == "店"
    assert progress_text(
        {"next_tier": "gold", "needs": {"spend_365d": 1200}}, {"gold": "黄金"}
    ) == ("距黄金还差 1,200 元消费")


def test_the_shipped_policy_loads() -> None:
    p = load_campaign_policy()
    assert p.frequency_cap.messages >= 1 and p.tier_labels["gold"] == "黄金"
