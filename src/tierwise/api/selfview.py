"""The customer's own view (R-INT-3): tier badge, benefits, progress in numbers, own history.

Built once from a profile row for the API's ``GET /me`` and the console's ``/console/me``;
:func:`tierwise.api.access.self_view_fields` decides which fields it carries, so neither
surface can show a customer the score, the segment, tags such as 高风险 / 流失预警, layers,
rules or explanations.

Progress is said in the customer's own units (yuan of purchases, orders), from the upgrade
path the run stored (``upgrade.needs``), relative to the tier the customer *holds*:

* the run's computed tier is one below the held tier (stability keeps the customer there
  for a grace period): what is still needed is what *keeps* the tier — "再采购 1 200 元即可保持黄金";
* the next tier is above the held tier: what is still needed to *reach* it — "距铂金还差 …";
* the customer is in the top tier: nothing to reach.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tierwise.api.access import Action, CustomerRef, Principal, decide, self_view_fields
from tierwise.api.views import benefits_of, run_policy, tier_labels
from tierwise.errors import NotFoundError, PermissionDeniedError
from tierwise.features.catalog import CATALOG

if TYPE_CHECKING:
    from tierwise.api.deps import AppContext

#: the feature units a customer acts on, and how their amounts are rounded (up: never short)
_UNITS = ("yuan", "orders")


def _amount(unit: str, v: float) -> float:
    return math.ceil(v * 100 - 1e-6) / 100 if unit == "yuan" else float(math.ceil(v - 1e-9))


def _number(unit: str, v: float, lang: str) -> str:
    text = f"{v:,.2f}".replace(",", " ") if unit == "yuan" else f"{v:,.0f}".replace(",", " ")
    if unit == "yuan":
        return f"{text} 元" if lang == "zh" else f"{text} yuan"
    return f"{text} 单" if lang == "zh" else f"{text} order{'s' if v != 1 else ''}"


def _sentence(kind: str, unit: str, amount: float, tier: str, lang: str) -> str:
    n = _number(unit, amount, lang)
    if lang == "zh":
        act = f"再采购 {n}" if unit == "yuan" else f"再下 {n}"
        return f"{act}即可{'保持' if kind == 'keep' else '升至'}{tier}"
    goal = f"to {'keep' if kind == 'keep' else 'reach'} {tier}"
    if unit == "yuan":
        return f"Buy {n} more {goal}"
    count, _, noun = n.partition(" ")
    return f"Place {count} more {noun} {goal}"


def progress(
    row: Mapping[str, Any],
    tier_order: Sequence[str],
    labels: Mapping[str, Mapping[str, str]],
    all_needed: bool,
) -> dict[str, Any] | None:
    """What the customer still needs, in yuan and orders (see the module docstring).

    Parameters
    ----------
    row
        The customer's profile row (``tier``, ``upgrade``, ``features``).
    tier_order
        The policy's tier codes, top tier first.
    labels
        ``{code: {"zh": ..., "en": ...}}`` for the tiers.
    all_needed
        Whether every item must be met (threshold tiers) or any one is enough (scores).
    """
    held, up = row.get("tier"), row.get("upgrade") or {}
    if held not in tier_order:
        return None
    rank, target = tier_order.index(held), str(up.get("next_tier"))
    if target not in tier_order:  # graded in the top tier (or held below it by an override)
        top = (
            {"kind": "top", "tier": held}
            if rank == 0
            else {"kind": "next", "tier": tier_order[rank - 1]}
        )
        return {**top, "all_needed": False, "items": []}
    nxt = tier_order.index(target)
    needs = up.get("needs") or {}
    kind = "next" if nxt < rank else "keep"
    if nxt > rank:  # held two or more tiers above the computed one: amounts toward a lower
        target, needs = str(held), {}  # tier would not keep this one
    feats = row.get("features") or {}
    items = []
    for name, need in needs.items():
        f = CATALOG.get(name)
        if f is None or f.unit not in _UNITS or need is None or float(need) <= 0:
            continue  # a rate or a score is not a number a customer can act on
        amount = _amount(f.unit, float(need))
        current = feats.get(name)
        items.append(
            {
                "unit": f.unit,
                "amount": amount,
                "current": float(current) if isinstance(current, int | float) else None,
                "text": {
                    lang: _sentence(
                        kind, f.unit, amount, labels.get(target, {}).get(lang, target), lang
                    )
                    for lang in ("zh", "en")
                },
            }
        )
    return {"kind": kind, "tier": target, "all_needed": all_needed, "items": items}


def history(changes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The customer's own tier changes, newest first: date, from, to and the kind of change
    (no rule, score or staff note)."""
    return [
        {
            "effective": h["effective"],
            "from_tier": h.get("from_tier"),
            "to_tier": h.get("to_tier"),
            "change": str(h.get("reason_code") or ""),
        }
        for h in changes
    ]


def self_view(
    principal: Principal,
    row: Mapping[str, Any],
    *,
    changes: Sequence[Mapping[str, Any]],
    benefits: Mapping[str, Any],
    tier_order: Sequence[str],
    labels: Mapping[str, Mapping[str, str]],
    all_needed: bool,
) -> dict[str, Any]:
    """The customer's own view, reduced to the fields ``principal`` may see of it."""
    fields = self_view_fields(
        principal, CustomerRef(row["customer_id"], row.get("account_manager"))
    )
    full: dict[str, Any] = {
        "customer_id": row["customer_id"],
        "name": row["name"],
        "tier": row.get("tier"),
        "tier_since": row.get("tier_since"),
        "tiers": [
            {"code": c, "label": dict(labels.get(c) or {"zh": c, "en": c})} for c in tier_order
        ],
        "benefits": dict(benefits),
        "progress": progress(row, tier_order, labels, all_needed),
        "history": history(changes),
    }
    return {k: v for k, v in full.items() if k in fields}


def my_view(ctx: AppContext, principal: Principal) -> dict[str, Any]:
    """The calling customer's own view (the fields ``access.self_view_fields`` allows)."""
    cid = principal.customer_id
    row = ctx.customers.get(cid, full=True) if cid else None
    if row is None:
        raise NotFoundError(f"no customer {cid!r}", customer_id=cid)
    d = decide(principal, Action.SELF_READ, CustomerRef(row["customer_id"], row["account_manager"]))
    if not d:
        raise PermissionDeniedError(d.reason)
    runs = ctx.settings.runs_dir
    policy = run_policy(runs, row.get("run_id"), ctx.cache)
    order, labels = tier_labels(policy)
    return self_view(
        principal,
        row,
        changes=ctx.customers.history(row["customer_id"]),
        benefits=benefits_of(runs, row.get("run_id"), row.get("tier"), ctx.cache),
        tier_order=order,
        labels=labels,
        all_needed=policy is not None and policy.tiers.method == "threshold",
    )
