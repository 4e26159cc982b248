"""Turning profile rows into what a caller may see (masking applied here, once)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tierwise.api.access import CustomerRef, Principal, sees_personal
from tierwise.api.masking import mask_record
from tierwise.api.schemas.customers import CustomerPublic, UpgradeProgress

if TYPE_CHECKING:
    from tierwise.policy.schema import Policy

_LIST_FIELDS = set(CustomerPublic.model_fields) - {"masked"}


def public_row(row: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A profile row reduced to the public fields, masked for ``principal`` (R-INT-4)."""
    ref = CustomerRef(row["customer_id"], row.get("account_manager"))
    unmasked = sees_personal(principal, ref)
    out = mask_record({k: row.get(k) for k in _LIST_FIELDS}, unmasked=unmasked)
    out["tags"] = row.get("tags") or []
    out["layers"] = {str(k): str(v) for k, v in (row.get("layers") or {}).items()}
    out["masked"] = not unmasked
    return out


def upgrade_of(row: dict[str, Any]) -> UpgradeProgress:
    up = row.get("upgrade") or {}
    needs = {str(k): float(v) for k, v in (up.get("needs") or {}).items() if v is not None}
    return UpgradeProgress(
        tier=row.get("tier"),
        next_tier=up.get("next_tier"),
        gap_score=up.get("gap_score"),
        needs=needs,
    )


def benefits_of(
    runs: Path, run_id: str | None, tier: str | None, cache: dict[str, Any]
) -> dict[str, Any]:
    """The benefits the policy of ``run_id`` gives ``tier`` (from the run's run.json)."""
    if not run_id or not tier:
        return {}
    all_tiers = (_run_record(runs, run_id, cache).get("policy") or {}).get("benefits") or {}
    benefits: dict[str, Any] = all_tiers.get(tier, {})
    return dict(benefits)


def _run_record(runs: Path, run_id: str, cache: dict[str, Any]) -> dict[str, Any]:
    """A run's run.json (empty when it cannot be read), kept in ``cache``."""
    key = f"run.json:{run_id}"
    if key not in cache:
        from tierwise.grading.handoff import read_record

        try:
            cache[key] = read_record(runs / run_id)
        except (OSError, ValueError):
            cache[key] = {}
    record: dict[str, Any] = cache[key]
    return record


def unavailable_of(runs: Path, run_id: str | None, cache: dict[str, Any]) -> dict[str, list[str]]:
    """The features ``run_id``'s book could not compute → their missing inputs (issue 19):
    a transaction log alone has no signup dates, invoices, tickets …"""
    if not run_id:
        return {}
    found = _run_record(runs, run_id, cache).get("unavailable_features") or {}
    return {str(k): [str(x) for x in v] for k, v in found.items()}


def run_policy(runs: Path, run_id: str | None, cache: dict[str, Any]) -> Policy | None:
    """The policy a run was graded with (from its folder), or None; kept in ``cache``."""
    if not run_id:
        return None
    key = f"policy:{run_id}"
    if key not in cache:
        from tierwise.errors import TierwiseError
        from tierwise.grading.handoff import read_run

        try:
            cache[key] = read_run(runs / run_id).policy
        except (TierwiseError, OSError, KeyError, TypeError, ValueError):
            cache[key] = None
    policy: Policy | None = cache[key]
    return policy


def tier_labels(policy: Policy | None) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The policy's tier codes (top tier first) and their ``{zh, en}`` labels."""
    if policy is None:
        return [], {}
    levels = policy.tiers.levels
    return [lv.code for lv in levels], {
        lv.code: {"zh": lv.label.zh, "en": lv.label.en} for lv in levels
    }
