"""Campaigns in the store (R-OPS-6, issue 24): define, send a wave, coupons, opt-outs and the
provider's callbacks.

- :func:`create_campaign` validates a definition (:func:`.spec.parse_campaign`: the audience
  must be saved, the schedule not in the past, the content's variables known) and stores it
  with a fresh salt for its holdout.
- :func:`send_wave` takes the audience's members as of now (the caller materialises them with
  :func:`tierwise.tags.service.audience_members`), decides every member's row
  (:func:`.decide.decide`), renders each message's variant, issues the coupons and writes the
  rows, the coupons and one ``campaign.message`` outbox message per message and provider
  webhook, in one transaction. Everything is checked before anything is written: an empty
  audience, a campaign not active, a wave not due, no provider webhook: refused with the
  reason, nothing sent half-configured.
- The outbox (:mod:`tierwise.store.webhooks`) delivers at least once, in order, retrying with
  backoff: a provider down for an hour gets every message after it is back. The event id of a
  message is derived from (campaign, wave, customer, webhook), so a wave can never queue a
  customer's message twice (the outbox's unique event id), and the provider de-duplicates
  retries by the ``X-Tierwise-Event-Id`` header.
- :func:`record_callback` records a provider's delivered / opened / clicked callback (by
  event id, first time only).
- :func:`redeem` is the coupon check at order time that also marks the coupon used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, Engine, func, insert, select, update

from tierwise.errors import ConfigError, ConflictError, DataError, NotFoundError, UsageError
from tierwise.ops.campaigns import coupons as cp
from tierwise.ops.campaigns.content import render, values_of
from tierwise.ops.campaigns.decide import ALL_CHANNELS, decide
from tierwise.ops.campaigns.spec import CHANNELS, CampaignPolicy, CampaignSpec, parse_campaign
from tierwise.store.bulk import insert_arrow
from tierwise.store.schema import (
    Audience,
    Campaign,
    CampaignCoupon,
    CampaignOptout,
    CampaignSend,
    CustomerProfile,
    CustomerTier,
    OutboxMessage,
    Recommendation,
    Webhook,
)

MESSAGE_EVENT = "campaign.message"
CALLBACKS = ("delivered", "opened", "clicked")
STATUSES = ("active", "paused", "ended")
_CHUNK = 5000


def audience_names(conn: Connection) -> set[str]:
    """Saved audiences (not deleted)."""
    q = select(Audience.name).where(Audience.deleted_at.is_(None)).distinct()
    return set(conn.execute(q).scalars())


def create_campaign(
    engine: Engine,
    data: Any,
    *,
    today: dt.date,
    actor: str,
    now: dt.datetime,
    source: str = "<campaign>",
) -> dict[str, Any]:
    """Validate and store a campaign definition; returns the stored row."""
    with engine.begin() as conn:
        spec = parse_campaign(data, today=today, audiences=audience_names(conn), source=source)
        return store_campaign(conn, spec, actor=actor, now=now)


def store_campaign(
    conn: Connection, spec: CampaignSpec, *, actor: str, now: dt.datetime
) -> dict[str, Any]:
    """Store a validated ``spec`` (active, with a fresh holdout salt); a name in use is a
    :class:`ConflictError`. :func:`create_campaign`'s write, also used by a survey wave's
    sending (docs/surveys.md)."""
    if conn.execute(select(Campaign.id).where(Campaign.name == spec.name)).first():
        raise ConflictError(f"campaign {spec.name!r} exists", value=spec.name)
    conn.execute(
        insert(Campaign).values(
            name=spec.name,
            title=spec.title or spec.name,
            audience=spec.audience,
            status="active",
            spec=spec.model_dump(mode="json"),
            salt=secrets.token_hex(16),
            budget_fen=spec.budget_fen,
            holdout_share=spec.holdout_share,
            created_at=now,
            created_by=actor,
        )
    )
    return _row(conn, spec.name)


def _row(conn: Connection, name: str) -> dict[str, Any]:
    row = conn.execute(select(Campaign).where(Campaign.name == name)).first()
    if row is None:
        raise NotFoundError(f"no campaign {name!r}", value=name)
    return dict(row._mapping)


def get_campaign(engine: Engine, name: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return _row(conn, name)


def list_campaigns(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Campaign).order_by(Campaign.id)).all()
    return [dict(r._mapping) for r in rows]


def set_status(engine: Engine, name: str, status: str) -> dict[str, Any]:
    """Pause, resume (``active``) or end a campaign."""
    if status not in STATUSES:
        raise UsageError(f"status {status!r}: one of {', '.join(STATUSES)}", value=status)
    with engine.begin() as conn:
        row = _row(conn, name)
        if row["status"] == "ended":
            raise ConflictError(f"campaign {name!r} has ended", value=name)
        conn.execute(update(Campaign).where(Campaign.id == row["id"]).values(status=status))
        return _row(conn, name)


@dataclass(frozen=True)
class WaveResult:
    campaign: str
    wave: int
    counts: dict[str, int]
    messages: int  # outbox messages queued
    coupons: int
    spent_fen: int  # the campaign's spending after this wave (messages + coupon faces)
    by_tier: dict[str, dict[str, int]] = field(default_factory=dict)


def _due(conn: Connection, row: Mapping[str, Any], spec: CampaignSpec, now: dt.datetime) -> int:
    """The number of the next wave, or a :class:`ConflictError` saying why none is due."""
    name, sched, today = row["name"], spec.schedule, now.date()
    if row["status"] != "active":
        raise ConflictError(f"campaign {name!r} is {row['status']}: nothing sent", value=name)
    if sched.start and today < sched.start:
        raise ConflictError(f"campaign {name!r} starts on {sched.start}", value=name)
    if sched.until and today > sched.until:
        raise ConflictError(f"campaign {name!r} ran until {sched.until}", value=name)
    last = conn.execute(
        select(func.max(CampaignSend.wave), func.max(CampaignSend.created_at)).where(
            CampaignSend.campaign_id == row["id"]
        )
    ).one()
    if last[0] is None:
        return 1
    if sched.kind == "once":
        raise ConflictError(f"campaign {name!r} runs once and was sent on {last[1]:%Y-%m-%d}")
    if sched.kind == "recurring" and sched.every_days:
        nxt = last[1].date() + dt.timedelta(days=sched.every_days)
        if today < nxt:
            raise ConflictError(f"campaign {name!r}: the next wave is due on {nxt}", value=name)
    return int(last[0]) + 1


def _in_chunks(conn: Connection, q: Any, col: Any, ids: Sequence[str]) -> list[Any]:
    out: list[Any] = []
    for i in range(0, len(ids), _CHUNK):
        out += conn.execute(q.where(col.in_(ids[i : i + _CHUNK]))).all()
    return out


def _profiles(conn: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    q = select(
        CustomerProfile.customer_id,
        CustomerProfile.account_id,
        CustomerProfile.name,
        CustomerProfile.tier,
        CustomerProfile.cuisine,
        CustomerProfile.layers,
        CustomerProfile.upgrade,
    )
    out = {
        r.customer_id: dict(r._mapping)
        for r in _in_chunks(conn, q, CustomerProfile.customer_id, ids)
    }
    tq = select(CustomerTier.customer_id, CustomerTier.tier)
    for r in _in_chunks(conn, tq, CustomerTier.customer_id, ids):
        out.setdefault(r.customer_id, {})["tier"] = r.tier  # the published tier wins
    return out


def _products(conn: Connection, ids: Sequence[str]) -> dict[str, list[str]]:
    q = select(Recommendation.customer_id, Recommendation.new_items)
    rows = _in_chunks(conn, q, Recommendation.customer_id, ids)
    return {r[0]: [str(i.get("name") or i.get("sku")) for i in (r[1] or [])] for r in rows}


def _hooks(conn: Connection) -> list[int]:
    hooks = conn.execute(select(Webhook.id, Webhook.events).where(Webhook.active)).all()
    return [h.id for h in hooks if MESSAGE_EVENT in (h.events or [])]


def event_id(campaign_id: int, wave: int, customer_id: str, webhook_id: int) -> str:
    """The outbox event id of one message: derived, so a message is never queued twice."""
    key = f"{campaign_id}\x1f{wave}\x1f{customer_id}\x1f{webhook_id}"
    return "cm-" + hashlib.sha1(key.encode()).hexdigest()


def _members(members: pd.DataFrame, profiles: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    ids = members["customer_id"].astype(str).tolist()
    acc = members["account_id"].tolist() if "account_id" in members else [None] * len(ids)
    tier = members["tier"].tolist() if "tier" in members else [None] * len(ids)
    cols: dict[str, list[Any]] = {
        "customer_id": ids,
        "account_id": [
            a if isinstance(a, str) and a else profiles.get(c, {}).get("account_id") or c
            for c, a in zip(ids, acc, strict=True)
        ],
        "tier": [
            t if isinstance(t, str) and t else profiles.get(c, {}).get("tier")
            for c, t in zip(ids, tier, strict=True)
        ],
    }
    return pd.DataFrame(cols)


def send_wave(
    engine: Engine,
    name: str,
    members: pd.DataFrame,
    policy: CampaignPolicy,
    *,
    now: dt.datetime,
) -> WaveResult:
    """Decide, record and queue one wave of campaign ``name`` to ``members``
    (``customer_id``, optionally ``account_id`` and ``tier``), in one transaction."""
    if members.empty:
        raise DataError(
            f"campaign {name!r}: the audience has no members now: nothing sent",
            hint="check the audience's expression and the tag snapshot it reads",
        )
    with engine.begin() as conn:
        return send_wave_in(conn, name, members, policy, now=now)


def send_wave_in(
    conn: Connection,
    name: str,
    members: pd.DataFrame,
    policy: CampaignPolicy,
    *,
    now: dt.datetime,
    links: Mapping[str, str] | None = None,
) -> WaveResult:
    """:func:`send_wave` on the caller's connection, in its transaction (the tier-writer hook
    of triggered campaigns, :mod:`.triggers`): the same checks, refusals and writes.

    ``links`` (customer → URL): a survey wave's sending (docs/surveys.md): every member's
    message carries its personal answer link (the ``{link}`` variable and the payload's
    ``link``) and nobody is held out (the survey's sample is the design; the opt-outs, the
    frequency cap, the budget and the quiet hours apply as to any campaign)."""
    if members.empty:
        raise DataError(f"campaign {name!r}: no members: nothing sent")
    members = members.drop_duplicates("customer_id")
    row = _row(conn, name)
    if links is None:
        spec = CampaignSpec.model_validate(row["spec"])
    else:
        spec = CampaignSpec.model_validate(row["spec"], context={"variables": ["link"]})
        spec = spec.model_copy(update={"holdout_share": 0.0})
    wave = _due(conn, row, spec, now)
    hooks = _hooks(conn)
    if not hooks:
        raise ConfigError(
            f"no active webhook takes {MESSAGE_EVENT!r}: nothing sent",
            hint="register the provider adapter's endpoint: POST /webhooks with events "
            f"[{MESSAGE_EVENT!r}] (docs/campaigns.md)",
        )
    ids = members["customer_id"].astype(str).tolist()
    profiles = _profiles(conn, ids)
    frame = _members(members, profiles)
    since = now - dt.timedelta(days=policy.frequency_cap.days)
    recent = dict(
        conn.execute(
            select(CampaignSend.customer_id, func.count())
            .where(CampaignSend.status == "send", CampaignSend.not_before > since)
            .group_by(CampaignSend.customer_id)
        ).all()
    )
    optouts: dict[str, set[str]] = {}
    for cid, ch in conn.execute(select(CampaignOptout.customer_id, CampaignOptout.channel)):
        optouts.setdefault(cid, set()).add(ch)
    spent = _spent(conn, row["id"])
    rows = decide(
        frame, spec, policy, salt=row["salt"], now=now, recent=recent,
        optouts={k: frozenset(v) for k, v in optouts.items()}, spent_fen=spent,
    )  # fmt: skip
    uses_products = any("{products}" in t for t in spec.content.variants.values())
    send = rows[rows["status"] == "send"]
    products = _products(conn, send["customer_id"].tolist()) if uses_products else {}
    variants: list[str | None] = []
    codes: list[str | None] = []
    outbox: list[dict[str, Any]] = []
    coupon_rows: list[dict[str, Any]] = []
    labels = policy.tier_labels
    for r in rows.to_dict("records"):
        if r["status"] != "send":
            variants.append(None)
            codes.append(None)
            continue
        prof = {**profiles.get(r["customer_id"], {}), "tier": r["tier"]}
        variant = spec.content.variant_for(prof.get("layers"))
        values = values_of(prof, labels, products=products.get(r["customer_id"]))
        if links is not None:
            values = {**values, "link": links.get(r["customer_id"], "")}
        text = render(spec.content.variants[variant], values)
        template = spec.coupon_for(r["tier"])
        coupon = None
        if template is not None:
            code = cp.new_code()
            until = now + dt.timedelta(days=template.valid_days)
            coupon_rows.append(
                {
                    "code": code, "campaign_id": row["id"], "customer_id": r["customer_id"],
                    "tier": r["tier"], "template": template.model_dump(mode="json"),
                    "face_fen": template.face_fen, "status": "issued", "issued_at": now,
                    "valid_from": now, "valid_until": until,
                }
            )  # fmt: skip
            coupon = {**template.model_dump(mode="json"), "code": code,
                      "valid_until": until.isoformat()}  # fmt: skip
            codes.append(code)
        else:
            codes.append(None)
        variants.append(variant)
        payload = {
            "event": MESSAGE_EVENT, "campaign": name, "wave": wave,
            "customer_id": r["customer_id"], "channel": r["channel"], "variant": variant,
            "text": text, "coupon": coupon, "not_before": r["not_before"].isoformat(),
        }  # fmt: skip
        if links is not None:
            payload["link"] = links.get(r["customer_id"])
        for h in hooks:
            outbox.append(
                {
                    "webhook_id": h, "event_id": event_id(row["id"], wave, r["customer_id"], h),
                    "event_type": MESSAGE_EVENT, "payload": payload, "status": "pending",
                    "attempts": 0, "created_at": now, "next_attempt_at": r["not_before"],
                }
            )  # fmt: skip
    _write(conn, row["id"], wave, rows, variants, codes, now)
    if coupon_rows:
        conn.execute(insert(CampaignCoupon), coupon_rows)
    _insert_outbox(conn, outbox)
    spent_after = _spent(conn, row["id"])
    counts: dict[str, int] = {}
    by_tier: dict[str, dict[str, int]] = {}
    for t, st in zip(rows["tier"].tolist(), rows["status"].tolist(), strict=True):
        counts[st] = counts.get(st, 0) + 1
        cell = by_tier.setdefault(str(t) if isinstance(t, str) else "-", {})
        cell[st] = cell.get(st, 0) + 1
    return WaveResult(name, wave, counts, len(outbox), len(coupon_rows), spent_after, by_tier)


def _write(
    conn: Connection,
    campaign_id: int,
    wave: int,
    rows: pd.DataFrame,
    variants: Sequence[str | None],
    codes: Sequence[str | None],
    now: dt.datetime,
) -> None:
    n = len(rows)
    nb = [None if pd.isna(t) else t for t in rows["not_before"].tolist()]
    data = pa.table(
        {
            "campaign_id": pa.array([campaign_id] * n, pa.int64()),
            "wave": pa.array([wave] * n, pa.int64()),
            "customer_id": _text(rows["customer_id"]),
            "account_id": _text(rows["account_id"]),
            "tier": _text(rows["tier"]),
            "arm": _text(rows["arm"]),
            "status": _text(rows["status"]),
            "channel": _text(rows["channel"]),
            "variant": pa.array(list(variants), pa.string()),
            "not_before": pa.array(nb, pa.timestamp("us")),
            "cost_fen": pa.array(rows["cost_fen"].astype("int64").tolist(), pa.int64()),
            "coupon_code": pa.array(list(codes), pa.string()),
            "created_at": pa.array([now] * n, pa.timestamp("us")),
        }
    )
    insert_arrow(conn, CampaignSend.__table__, data)  # type: ignore[arg-type]


_OUTBOX = ("webhook_id", "event_id", "event_type", "payload", "status", "attempts",
           "created_at", "next_attempt_at")  # fmt: skip


def _insert_outbox(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Queue ``rows`` in bulk: COPY on PostgreSQL, the driver's executemany on SQLite (the
    ORM's per-row JSON and type processing cost more than the inserts themselves)."""
    if not rows:
        return
    payloads = [json.dumps(r["payload"], ensure_ascii=False) for r in rows]
    if conn.dialect.name == "postgresql":
        data = pa.table(
            {
                "webhook_id": pa.array([r["webhook_id"] for r in rows], pa.int64()),
                "event_id": pa.array([r["event_id"] for r in rows], pa.string()),
                "event_type": pa.array([r["event_type"] for r in rows], pa.string()),
                "payload": pa.array(payloads, pa.string()),
                "status": pa.array([r["status"] for r in rows], pa.string()),
                "attempts": pa.array([r["attempts"] for r in rows], pa.int64()),
                "created_at": pa.array([r["created_at"] for r in rows], pa.timestamp("us")),
                "next_attempt_at": pa.array(
                    [r["next_attempt_at"] for r in rows], pa.timestamp("us")
                ),
            }
        )
        insert_arrow(conn, OutboxMessage.__table__, data, json_columns=("payload",))  # type: ignore[arg-type]
        return
    fmt = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime on SQLite
    sql = f"INSERT INTO outbox ({', '.join(_OUTBOX)}) VALUES ({', '.join('?' * len(_OUTBOX))})"
    conn.exec_driver_sql(
        sql,
        [
            (r["webhook_id"], r["event_id"], r["event_type"], p, r["status"], r["attempts"],
             r["created_at"].strftime(fmt), r["next_attempt_at"].strftime(fmt))
            for r, p in zip(rows, payloads, strict=True)
        ],
    )  # fmt: skip


def _text(col: pd.Series) -> pa.Array:
    return pa.array(col.astype(object), pa.string(), from_pandas=True)


def _spent(conn: Connection, campaign_id: int) -> int:
    msgs = conn.execute(
        select(func.coalesce(func.sum(CampaignSend.cost_fen), 0)).where(
            CampaignSend.campaign_id == campaign_id
        )
    ).scalar_one()
    faces = conn.execute(
        select(func.coalesce(func.sum(CampaignCoupon.face_fen), 0)).where(
            CampaignCoupon.campaign_id == campaign_id, CampaignCoupon.status != "void"
        )
    ).scalar_one()
    return int(msgs) + int(faces)


def opt_out(
    engine: Engine, customer_id: str, *, channel: str = ALL_CHANNELS, source: str, now: dt.datetime
) -> None:
    """Record that ``customer_id`` wants no messages on ``channel`` (``*``: any). Idempotent."""
    if channel != ALL_CHANNELS and channel not in CHANNELS:
        raise UsageError(f"channel {channel!r}: one of {', '.join(CHANNELS)} or *", value=channel)
    with engine.begin() as conn:
        key = (CampaignOptout.customer_id == customer_id) & (CampaignOptout.channel == channel)
        if conn.execute(select(CampaignOptout.customer_id).where(key)).first() is None:
            conn.execute(
                insert(CampaignOptout).values(
                    customer_id=customer_id, channel=channel, source=source, created_at=now
                )
            )


def record_callback(engine: Engine, event: str, kind: str, at: dt.datetime) -> bool:
    """Record the provider's ``kind`` callback (delivered, opened, clicked) of the message
    with outbox event id ``event``; ``False`` when it was recorded before (a repeat)."""
    if kind not in CALLBACKS:
        raise UsageError(f"callback {kind!r}: one of {', '.join(CALLBACKS)}", value=kind)
    with engine.begin() as conn:
        msg = conn.execute(
            select(OutboxMessage.payload).where(
                OutboxMessage.event_id == event, OutboxMessage.event_type == MESSAGE_EVENT
            )
        ).first()
        if msg is None:
            raise NotFoundError(f"no campaign message with event id {event!r}", value=event)
        p = msg[0]
        col = getattr(CampaignSend, f"{kind}_at")
        res = conn.execute(
            update(CampaignSend)
            .where(
                CampaignSend.campaign_id == _row(conn, p["campaign"])["id"],
                CampaignSend.wave == p["wave"],
                CampaignSend.customer_id == p["customer_id"],
                col.is_(None),
            )
            .values({col: at})
        )
        return bool(res.rowcount)


def _coupon(conn: Connection, code: str) -> dict[str, Any] | None:
    row = conn.execute(select(CampaignCoupon).where(CampaignCoupon.code == code)).first()
    return dict(row._mapping) if row else None


def check_coupon(
    engine: Engine,
    code: str,
    *,
    customer_id: str,
    lines: Mapping[str, int],
    at: dt.datetime,
    other_codes: Sequence[str] = (),
) -> cp.Verdict:
    """The redemption check without using the coupon (what the order screen shows)."""
    with engine.connect() as conn:
        others = [c for c in (_coupon(conn, o) for o in other_codes) if c is not None]
        return cp.check(_coupon(conn, code), code=code, customer_id=customer_id,
                        lines=lines, at=at, other_coupons=others)  # fmt: skip


def redeem(
    engine: Engine,
    code: str,
    *,
    customer_id: str,
    order_id: str,
    lines: Mapping[str, int],
    at: dt.datetime,
    other_codes: Sequence[str] = (),
) -> cp.Verdict:
    """Check and use ``code`` on ``order_id``: once. Asking again for the same order returns
    the same discount (a retried request); any other use is refused as a replay."""
    with engine.begin() as conn:
        c = _coupon(conn, code)
        if (
            c is not None
            and c["status"] == "redeemed"
            and c["order_id"] == order_id
            and c["customer_id"] == customer_id
        ):
            return cp.Verdict(True, code, int(c["discount_fen"] or 0))
        others = [o for o in (_coupon(conn, x) for x in other_codes) if o is not None]
        v = cp.check(c, code=code, customer_id=customer_id, lines=lines, at=at,
                     other_coupons=others)  # fmt: skip
        if not v.ok:
            return v
        res = conn.execute(
            update(CampaignCoupon)
            .where(CampaignCoupon.code == code, CampaignCoupon.status == "issued")
            .values(
                status="redeemed", order_id=order_id, discount_fen=v.discount_fen, redeemed_at=at
            )
        )
        if res.rowcount != 1:  # another request used it between the read and this update
            return cp.Verdict(False, code, reason="already used")
        return v
