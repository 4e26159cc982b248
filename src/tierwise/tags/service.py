"""User-defined tags and saved audiences in the operational store; the API, the console and
the CLI call these functions (no SQL elsewhere).

Both are versioned: saving adds a row with the next version, deleting marks every version.
A user-defined tag is refused when its rule does not check against the known names, when its
code is taken, or when tags would read each other in a cycle; deleting a tag an audience (or
another tag) uses is refused with the users listed, and so is deleting an audience an
experiment, a survey wave, a visit plan or a campaign uses.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, func, insert, or_, select, update

from tierwise.errors import ConflictError, NotFoundError, UsageError
from tierwise.grading.handoff import is_run, read_record
from tierwise.store.schema import (
    Audience,
    AudienceDelivery,
    Campaign,
    Experiment,
    OutboxMessage,
    Run,
    TagDefinition,
)
from tierwise.store.schema import Webhook as WebhookRow
from tierwise.tags.audience import Frame, RunRef, check_expression, evaluate
from tierwise.tags.catalog import TAG_CATALOG, TAGS, Tag, input_names
from tierwise.tags.compute import name_types, order_custom, parse_rule
from tierwise.tags.snapshot import snapshot_for

CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
AUDIENCE_EVENT = "audience.members"
PUSH_BATCH = 1000
Kind = Literal["audience", "segment"]


# -- user-defined tags -------------------------------------------------------------------------
def _tag(row: Any) -> Tag:
    return Tag(
        row.code,
        "custom",
        "flag",
        row.name_zh,
        row.name_en,
        row.rule,
        tuple(sorted(parse_rule_names(row.rule))),
        version=row.version,
    )


def parse_rule_names(rule: str) -> set[str]:
    """The names a stored rule reads (it was checked when saved)."""
    import ast

    return {n.id for n in ast.walk(ast.parse(rule.strip(), mode="eval")) if isinstance(n, ast.Name)}


def _latest(engine: Engine, model: Any, key: Any, value: str | None = None) -> list[Any]:
    newest = select(key, func.max(model.version).label("v")).group_by(key)
    if value is not None:
        newest = newest.where(key == value)
    sub = newest.subquery()
    q = (
        select(model)
        .join(sub, (key == sub.c[key.key]) & (model.version == sub.c.v))
        .where(model.deleted_at.is_(None))
        .order_by(key)
    )
    with engine.connect() as conn:
        return list(conn.execute(q).all())


def custom_tags(engine: Engine) -> list[Tag]:
    """The newest version of every user-defined tag not deleted."""
    return [_tag(r) for r in _latest(engine, TagDefinition, TagDefinition.code)]


def custom_tag_rows(engine: Engine) -> list[dict[str, Any]]:
    """The user-defined tags with who saved them and when (newest versions)."""
    return [dict(r._mapping) for r in _latest(engine, TagDefinition, TagDefinition.code)]


def check_custom_tag(engine: Engine, code: str, rule: str) -> Tag:
    """The tag ``code`` with ``rule`` as it would be saved; errors name what is wrong."""
    if not CODE.match(code):
        raise UsageError(
            f"tag code {code!r} is not valid",
            hint="lower-case letters, digits and _, starting with a letter, 2-40 characters",
            value=code,
        )
    if code in TAG_CATALOG or code in input_names() or code in ("tier", "score", "segment"):
        raise ConflictError(f"tag code {code!r} is a built-in tag or input name", value=code)
    others = [t for t in custom_tags(engine) if t.code != code]
    known = name_types([*TAGS, *others])
    check_expression(rule, known, what="tag rule")
    tag = Tag(
        code, "custom", "flag", code, code, rule.strip(), tuple(sorted(parse_rule_names(rule)))
    )
    order_custom([*others, tag])  # refuses a cycle
    parse_rule(tag, known)
    return tag


def preview_custom_tag(
    engine: Engine, frame: Frame, code: str, rule: str, *, sample: int = 10
) -> dict[str, Any]:
    """Check a user-defined tag and count whom it would tag in ``frame``'s snapshot.

    The rule may read user-defined tags only when they are in the snapshot (computed)."""
    tag = check_custom_tag(engine, code, rule)
    types = {**name_types([*TAGS, *frame.custom.values()])}
    types.pop(code, None)
    out = evaluate(frame, tag.definition, sample=sample, types=types, what="tag rule")
    return {"code": code, **out}


def save_custom_tag(
    engine: Engine,
    code: str,
    rule: str,
    *,
    name_zh: str,
    name_en: str,
    author: str,
    now: dt.datetime,
    description: str | None = None,
) -> dict[str, Any]:
    """Validate and save a new version of user-defined tag ``code``."""
    check_custom_tag(engine, code, rule)
    with engine.begin() as conn:
        v = conn.execute(
            select(func.max(TagDefinition.version)).where(TagDefinition.code == code)
        ).scalar()
        conn.execute(
            insert(TagDefinition).values(
                code=code,
                version=(v or 0) + 1,
                name_zh=name_zh,
                name_en=name_en,
                rule=rule.strip(),
                description=description,
                author=author,
                created_at=now,
            )
        )
    return next(r for r in custom_tag_rows(engine) if r["code"] == code)


def tag_users(engine: Engine, code: str) -> list[str]:
    """Who reads tag ``code``: audiences (``audience:<name>``) and tags (``tag:<code>``)."""
    users = [
        f"{r.kind}:{r.name}"
        for r in _latest(engine, Audience, Audience.name)
        if code in parse_rule_names(r.expression)
    ]
    users += [f"tag:{t.code}" for t in custom_tags(engine) if code in t.inputs]
    return users


def delete_custom_tag(engine: Engine, code: str, now: dt.datetime) -> None:
    """Delete user-defined tag ``code`` (every version); refused while something uses it."""
    if code in TAG_CATALOG:
        raise ConflictError(f"tag {code!r} is built in and cannot be deleted", value=code)
    if not any(t.code == code for t in custom_tags(engine)):
        raise NotFoundError(f"no user-defined tag {code!r}", value=code)
    users = tag_users(engine, code)
    if users:
        raise ConflictError(
            f"tag {code!r} is in use by {', '.join(users)}",
            hint="change or delete those first",
            users=users,
        )
    with engine.begin() as conn:
        conn.execute(update(TagDefinition).where(TagDefinition.code == code).values(deleted_at=now))


# -- the frame of a date ----------------------------------------------------------------------
def run_on(engine: Engine, runs_dir: Path, on: dt.date | None) -> RunRef | None:
    """The latest published run whose as_of is on or before ``on`` (any: ``None``)."""
    q = select(Run.id, Run.as_of).where(Run.status == "published")
    if on is not None:
        q = q.where(Run.as_of <= on)
    q = q.order_by(Run.as_of.desc(), Run.published_at.desc(), Run.id.desc()).limit(1)
    with engine.connect() as conn:
        row = conn.execute(q).first()
    if row is None:
        return None
    path = runs_dir / row.id
    entity = "outlet"
    if is_run(path):
        entity = read_record(path).get("entity", "outlet")
    return RunRef(row.id, row.as_of, path, entity)


def frame_on(engine: Engine, home: Path, runs_dir: Path, on: dt.date | None) -> Frame:
    """What an audience as of ``on`` is evaluated on (latest snapshot and run: ``None``)."""
    snap = snapshot_for(home, on)
    custom = {t.code: t for t in custom_tags(engine) if t.code in snap.custom}
    return Frame(snap, run_on(engine, runs_dir, on or snap.as_of), custom)


# -- audiences --------------------------------------------------------------------------------
@dataclass(frozen=True)
class AudienceSpec:
    name: str
    expression: str
    kind: Kind = "audience"
    title_zh: str = ""
    title_en: str = ""
    description: str | None = None


def audiences(engine: Engine, kind: Kind | None = None) -> list[dict[str, Any]]:
    """The newest version of every audience (or of ``kind``) not deleted."""
    rows = [dict(r._mapping) for r in _latest(engine, Audience, Audience.name)]
    return [r for r in rows if kind is None or r["kind"] == kind]


def get_audience(engine: Engine, name: str, version: int | None = None) -> dict[str, Any]:
    """One audience: its newest version, or ``version``; 404 when deleted or absent."""
    q = select(Audience).where(Audience.name == name, Audience.deleted_at.is_(None))
    q = q.where(Audience.version == version) if version else q.order_by(Audience.version.desc())
    with engine.connect() as conn:
        row = conn.execute(q.limit(1)).first()
    if row is None:
        what = f" version {version}" if version else ""
        raise NotFoundError(f"no audience {name!r}{what}", value=name)
    return dict(row._mapping)


def audience_versions(engine: Engine, name: str) -> list[dict[str, Any]]:
    """Every version of audience ``name``, newest first."""
    q = select(Audience).where(Audience.name == name).order_by(Audience.version.desc())
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q).all()]


def save_audience(
    engine: Engine, spec: AudienceSpec, frame: Frame, *, author: str, now: dt.datetime
) -> dict[str, Any]:
    """Check ``spec.expression`` on ``frame`` and save it as the next version."""
    if not CODE.match(spec.name):
        raise UsageError(
            f"audience name {spec.name!r} is not valid",
            hint="lower-case letters, digits and _, starting with a letter, 2-40 characters",
            value=spec.name,
        )
    check_expression(spec.expression, frame.types(), what=f"audience {spec.name!r}")
    with engine.begin() as conn:
        v = conn.execute(select(func.max(Audience.version)).where(Audience.name == spec.name))
        conn.execute(
            insert(Audience).values(
                name=spec.name,
                version=(v.scalar() or 0) + 1,
                kind=spec.kind,
                title_zh=spec.title_zh or spec.name,
                title_en=spec.title_en or spec.name,
                expression=spec.expression.strip(),
                description=spec.description,
                author=author,
                created_at=now,
            )
        )
    return get_audience(engine, spec.name)


#: the ``audience_deliveries`` targets that are operations using the audience (the others,
#: csv / xlsx / json / webhook, are exports and pushes)
USE_TARGETS = ("survey:", "visit:")


def audience_users(engine: Engine, name: str) -> list[str]:
    """Who uses audience ``name``: experiments not stopped whose population names it
    (``experiment:<code>``), survey waves and visit plans that read it (``survey:<wave>``,
    ``visit:<day>``, logged in ``audience_deliveries``) and campaigns not ended
    (``campaign:<name>``)."""
    with engine.connect() as conn:
        experiments = conn.execute(
            select(Experiment.code, Experiment.design)
            .where(Experiment.status != "stopped")
            .order_by(Experiment.code)
        ).all()
        targets = conn.execute(
            select(AudienceDelivery.target)
            .where(AudienceDelivery.audience == name)
            .where(or_(*(AudienceDelivery.target.startswith(t) for t in USE_TARGETS)))
            .distinct()
        ).scalars()
        campaigns = conn.execute(
            select(Campaign.name)
            .where(Campaign.audience == name, Campaign.status != "ended")
            .order_by(Campaign.name)
        ).scalars()
        users = [
            f"experiment:{code}"
            for code, design in experiments
            if ((design or {}).get("population") or {}).get("audience") == name
        ]
        used = sorted(targets, key=lambda t: (USE_TARGETS.index(t[: t.index(":") + 1]), t))
        return users + used + [f"campaign:{c}" for c in campaigns]


def delete_audience(engine: Engine, name: str, now: dt.datetime) -> None:
    """Delete audience ``name`` (every version); refused while something uses it
    (:func:`audience_users`)."""
    get_audience(engine, name)
    users = audience_users(engine, name)
    if users:
        raise ConflictError(
            f"audience {name!r} is in use by {', '.join(users)}",
            hint="change or delete those first",
            users=users,
        )
    with engine.begin() as conn:
        conn.execute(update(Audience).where(Audience.name == name).values(deleted_at=now))


def record_delivery(
    engine: Engine,
    audience: dict[str, Any],
    frame: Frame,
    on: dt.date,
    members: int,
    *,
    target: str,
    actor: str,
    now: dt.datetime,
) -> None:
    """Log that the members of ``audience`` as of ``on`` went to ``target``."""
    with engine.begin() as conn:
        conn.execute(
            insert(AudienceDelivery).values(
                audience=audience["name"],
                version=audience["version"],
                as_of=on,
                snapshot_as_of=frame.snapshot.as_of,
                run_id=frame.run.run_id if frame.run else None,
                members=members,
                target=target,
                actor=actor,
                at=now,
            )
        )


def push_members(
    engine: Engine,
    audience: dict[str, Any],
    frame: Frame,
    on: dt.date,
    customer_ids: Sequence[str],
    *,
    actor: str,
    now: dt.datetime,
) -> int:
    """Queue the members for every webhook subscribed to ``audience.members``.

    One message per batch of ids (``part``/``parts``), each naming the audience, its version,
    the date, the snapshot and run it was computed from; returns the messages queued. An
    empty audience is pushed too (one message with no ids and ``empty: true``), so the CRM
    can clear its list.
    """
    with engine.begin() as conn:
        hooks = [
            h.id
            for h in conn.execute(select(WebhookRow.id, WebhookRow.events).where(WebhookRow.active))
            if AUDIENCE_EVENT in (h.events or [])
        ]
        batches = [
            list(customer_ids[i : i + PUSH_BATCH]) for i in range(0, len(customer_ids), PUSH_BATCH)
        ] or [[]]
        rows = [
            {
                "webhook_id": hook,
                "event_id": uuid.uuid4().hex,
                "event_type": AUDIENCE_EVENT,
                "payload": {
                    "event": AUDIENCE_EVENT,
                    "audience": audience["name"],
                    "version": audience["version"],
                    "as_of": on.isoformat(),
                    "snapshot_as_of": frame.snapshot.as_of.isoformat(),
                    "run_id": frame.run.run_id if frame.run else None,
                    "members": len(customer_ids),
                    "empty": not customer_ids,
                    "part": i + 1,
                    "parts": len(batches),
                    "customer_ids": batch,
                },
                "status": "pending",
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
            for hook in hooks
            for i, batch in enumerate(batches)
        ]
        if rows:
            conn.execute(insert(OutboxMessage), rows)
    record_delivery(
        engine, audience, frame, on, len(customer_ids), target="webhook", actor=actor, now=now
    )
    return len(rows)


@dataclass(frozen=True)
class Members:
    """The members of a saved audience as of a date, and what they were computed from."""

    audience: dict[str, Any]
    on: dt.date
    frame: Frame
    table: Any  # pyarrow.Table: customer_id, account_id, then the names the expression reads

    @property
    def customer_ids(self) -> list[str]:
        return [str(c) for c in self.table["customer_id"].to_pylist()]

    @property
    def empty(self) -> bool:
        """True when nobody matches: allowed, but every user of the list should say so."""
        return int(self.table.num_rows) == 0

    @property
    def source(self) -> dict[str, Any]:
        """Where the list came from: enough to reproduce it."""
        return {
            "audience": self.audience["name"],
            "version": self.audience["version"],
            "as_of": self.on.isoformat(),
            "snapshot_as_of": self.frame.snapshot.as_of.isoformat(),
            "run_id": self.frame.run.run_id if self.frame.run else None,
            "members": self.table.num_rows,
            "empty": self.empty,
        }


def audience_members(
    engine: Engine,
    home: Path,
    runs_dir: Path,
    name: str,
    on: dt.date | None = None,
    *,
    version: int | None = None,
) -> Members:
    """The members of saved audience ``name`` (newest version, or ``version``) as of ``on``.

    This is the call an operations module (campaigns, visits, surveys, experiments) makes to
    target an audience: the same name, version and date give the same list.
    """
    aud = get_audience(engine, name, version)
    frame = frame_on(engine, home, runs_dir, on)
    rule = check_expression(aud["expression"], frame.types(), what=f"audience {name!r}")
    return Members(aud, on or frame.snapshot.as_of, frame, frame.members(rule))
