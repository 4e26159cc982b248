"""Available credit (可用额度) and the order check: pure decisions (R-OPS-4).

可用额度 = credit limit − unsettled receivables − frozen amounts + prepaid balance, where the
receivables come from the latest snapshot of invoices and payments (``credit_accounts``)
less the payments recorded since, and *frozen* is what the check allowed since the snapshot
(orders not yet on an invoice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tierwise.ops.credit.policy import CreditPolicy

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Account:
    """What the check reads of one customer (yuan)."""

    customer_id: str
    terms: str
    credit_limit: Decimal
    unsettled: Decimal
    prepaid_balance: Decimal
    frozen: Decimal
    paid_since: Decimal
    overdue_amount: Decimal
    max_days_overdue: int


@dataclass(frozen=True)
class Hold:
    kind: str  # overdue | over_limit
    amount_over: Decimal
    reason: dict[str, str]  # zh / en


@dataclass(frozen=True)
class CheckResult:
    allow: bool
    available: Decimal
    amount: Decimal
    amount_over: Decimal
    holds: list[Hold] = field(default_factory=list)
    overridden: bool = False


def available_credit(a: Account) -> Decimal:
    """limit − (unsettled − paid since) − frozen + prepaid balance (and payments beyond the
    unsettled amount count as prepaid)."""
    unsettled = a.unsettled - a.paid_since
    extra = -unsettled if unsettled < 0 else ZERO
    return a.credit_limit - max(unsettled, ZERO) - a.frozen + a.prepaid_balance + extra


def holds_of(a: Account, policy: CreditPolicy, amount: Decimal) -> list[Hold]:
    """The holds an order of ``amount`` meets: overdue beyond the policy's days (until paid),
    and over the available credit."""
    out = []
    overdue_left = a.overdue_amount - a.paid_since
    days = policy.holds.overdue_days
    if a.max_days_overdue > days and overdue_left > 0:
        out.append(
            Hold(
                "overdue",
                overdue_left,
                {
                    "zh": f"有账单逾期 {a.max_days_overdue} 天（超过 {days} 天），"
                    f"未付逾期金额 {overdue_left:,.2f} 元",
                    "en": f"an invoice is {a.max_days_overdue} days overdue (over {days}); "
                    f"{overdue_left:,.2f} yuan overdue unpaid",
                },
            )
        )
    avail = available_credit(a)
    if amount > avail:
        over = amount - avail
        out.append(
            Hold(
                "over_limit",
                over,
                {
                    "zh": f"订单 {amount:,.2f} 元超过可用额度 {avail:,.2f} 元，超出 {over:,.2f} 元",
                    "en": f"order of {amount:,.2f} yuan exceeds the available credit of "
                    f"{avail:,.2f} yuan by {over:,.2f}",
                },
            )
        )
    return out


def check_order(
    a: Account, policy: CreditPolicy, amount: Decimal, override: Decimal | None = None
) -> CheckResult:
    """Allow the order, or hold it with the reasons and the amount over the available credit.
    ``override``: an approved finance override for up to that amount lets a held order pass."""
    holds = holds_of(a, policy, amount)
    over = next((h.amount_over for h in holds if h.kind == "over_limit"), ZERO)
    avail = available_credit(a)
    if holds and override is not None and override >= amount:
        return CheckResult(True, avail, amount, over, holds, overridden=True)
    return CheckResult(not holds, avail, amount, over, holds)
