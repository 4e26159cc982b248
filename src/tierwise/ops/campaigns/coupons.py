"""Coupons: unique codes, the discount of a template, the check at order time (pure).

:func:`check` is what an order system asks before it applies a coupon: it refuses an
unknown code, another customer's code, a code already used (a replay), an expired or not yet
valid one, an order below the threshold (满减) or without lines in the coupon's categories, and
a second coupon on an order when either is not stackable; otherwise it returns the discount.
The store's redemption (:func:`tierwise.ops.campaigns.service.redeem`) runs the same check
and marks the coupon used in one conditional update, so two concurrent replays redeem once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# No 0/O, 1/I/L: a code read over the phone or typed from a printout is not misread
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31^10 ≈ 8e14 codes: guessing one is hopeless


def new_code(prefix: str = "TW") -> str:
    """A random coupon code (``TW`` + 10 characters), from the OS's secure generator."""
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def discount_fen(template: Mapping[str, Any], eligible_fen: int) -> int:
    """What ``template`` takes off ``eligible_fen`` of order lines (fen, never more)."""
    if template["kind"] == "amount":
        off = round(float(template["value"]) * 100)
    else:
        off = round(eligible_fen * float(template["value"]) / 100)
        off = min(off, round(float(template["max_off"]) * 100))
    return max(0, min(off, eligible_fen))


@dataclass(frozen=True)
class Verdict:
    """The answer to an order's coupon: ``ok`` with the discount, or the reason refused."""

    ok: bool
    code: str
    discount_fen: int = 0
    reason: str | None = None

    @property
    def discount(self) -> float:
        return self.discount_fen / 100


def check(
    coupon: Mapping[str, Any] | None,
    *,
    code: str,
    customer_id: str,
    lines: Mapping[str, int],
    at: dt.datetime,
    other_coupons: Sequence[Mapping[str, Any]] | None = None,
) -> Verdict:
    """Whether ``coupon`` (a ``campaign_coupons`` row, ``None`` if the code is unknown) may
    be used by ``customer_id`` on an order with ``lines`` (category → amount in fen) at
    ``at``, alongside ``other_coupons`` already on the order."""
    if coupon is None:
        return Verdict(False, code, reason="unknown code")
    if coupon["customer_id"] != customer_id:
        return Verdict(False, code, reason="issued to another customer")
    if coupon["status"] == "redeemed":
        return Verdict(False, code, reason=f"already used on order {coupon['order_id']}")
    if coupon["status"] != "issued":
        return Verdict(False, code, reason=f"coupon is {coupon['status']}")
    if at < coupon["valid_from"]:
        return Verdict(False, code, reason=f"not valid before {coupon['valid_from']:%Y-%m-%d}")
    if at >= coupon["valid_until"]:
        return Verdict(False, code, reason=f"expired on {coupon['valid_until']:%Y-%m-%d}")
    template = coupon["template"]
    others = other_coupons or []
    if others and (not template.get("stackable") or not all(
        o["template"].get("stackable") for o in others
    )):  # fmt: skip
        return Verdict(False, code, reason="not stackable with another coupon on the order")
    cats = set(template.get("categories") or [])
    eligible = sum(v for k, v in lines.items() if not cats or k in cats)
    if eligible <= 0:
        return Verdict(False, code, reason=f"no line in the coupon's categories {sorted(cats)}")
    threshold = round(float(template.get("threshold") or 0) * 100)
    if eligible < threshold:
        return Verdict(
            False,
            code,
            reason=f"order {eligible / 100:.2f} yuan is below the threshold "
            f"{threshold / 100:.2f} yuan",
        )
    return Verdict(True, code, discount_fen(template, eligible))
