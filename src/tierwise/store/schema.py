"""Tables of the operational store (DESIGN.md: "published state").

SQLite (WAL) by default, PostgreSQL in production. Alembic migrations in
``tierwise/store/migrations`` create exactly these tables; a test compares the two.
The seeds' ``customer_grades`` and ``grade_benefits`` are covered by ``customer_tiers`` and
the policy's benefits (stored with the policy).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Select,
    String,
    Text,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Run(Base):
    """One grading run: what was computed, from what, and whether it is published."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(
        String(120), primary_key=True
    )  # grading run ids: <as_of>-<policy name>-<time>
    policy_name: Mapped[str] = mapped_column(String(200))
    policy_hash: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date)
    data_fingerprint: Mapped[str] = mapped_column(String(64))
    # running → published | failed | awaiting_review (a policy with `review:`: held for its
    # spot check) → published | superseded. Only a published run is ever current.
    status: Mapped[str] = mapped_column(String(16), default="running")
    trigger: Mapped[str] = mapped_column(String(32), default="manual")
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    timings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # host:pid of the process running it, and its last sign of life (to detect a dead run)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Recorded at publication (tierwise.store.held.record_held): customers per tier held once
    # the run was published, and the (from tier, to tier, customers) migration from the run
    # published before it (``held_from_run``). None for runs published before migration 0018.
    held_counts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    held_from_run: Mapped[str | None] = mapped_column(String(120), nullable=True)
    held_migration: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (
        Index("ix_runs_status_published", "status", "published_at"),
        # Two runs never overlap: at most one row may be "running" (a partial unique index,
        # so the database itself refuses the second one, whatever process tries).
        Index(
            "uq_runs_one_running",
            "status",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )


def latest_published(*columns: Any, limit: int = 1) -> Select[Any]:
    """``columns`` of the newest published run(s), newest first: by publication time, then
    id. The one definition of "the current run" every reader uses."""
    return (
        select(*columns)
        .where(Run.status == "published")
        .order_by(Run.published_at.desc(), Run.id.desc())
        .limit(limit)
    )


class RunCutoff(Base):
    """Score at each tier boundary of a run (real-time regrade applies these)."""

    __tablename__ = "run_cutoffs"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(40), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)  # 0 = top tier
    min_score: Mapped[float | None] = mapped_column(Float, nullable=True)


class RunAssignment(Base):
    """The tier a run computed for one customer, before stability rules.

    The big per-customer tables carry ``run_id`` without a foreign key: PostgreSQL checks a
    foreign key with one trigger call per row, which doubled the time to publish millions of
    rows; :class:`tierwise.store.runs.RunStore` is the only writer and writes them in the
    same transaction as the run.
    """

    __tablename__ = "run_assignments"

    run_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(24))  # graded | insufficient_data


class CustomerTier(Base):
    """The published, current tier of one customer (after stability rules and overrides)."""

    __tablename__ = "customer_tiers"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    run_id: Mapped[str] = mapped_column(String(120))
    since: Mapped[date] = mapped_column(Date)
    # Runs in a row the computed tier was below the current one (downgrade grace, R-GRD-10).
    runs_below: Mapped[int] = mapped_column(Integer, default=0)
    below_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    downgrade_warning: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_customer_tiers_tier", "tier"),)


class TierChange(Base):
    """History: every change of a customer's published tier, with a structured reason."""

    __tablename__ = "tier_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    run_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    from_tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    to_tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    effective: Mapped[date] = mapped_column(Date)
    reason_code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[dict[str, Any]] = mapped_column(default=dict)

    # the migration since the previous run reads only the history written after it
    __table_args__ = (Index("ix_tier_changes_changed_at", "changed_at"),)


class Override(Base):
    """A manual tier set by a person, with a reason and an expiry (R-GRD-10)."""

    __tablename__ = "overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    tier: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Webhook(Base):
    """A CRM/ERP endpoint that receives tier changes (R-INT-1)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(2000))
    # HMAC key shared with the receiver; never returned by the API after creation.
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class OutboxMessage(Base):
    """One message to one webhook, written in the same transaction as what it reports.

    ``pending`` until the receiver answers 2xx (``delivered``); after ``max_attempts`` failures
    it is ``dead`` but kept, and can be sent again. Nothing is ever deleted by delivery.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id"))
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_outbox_due", "status", "webhook_id", "id"),)


class Event(Base):
    """An order, return or payment event received in real time: the one event table.

    Every way in (the API's ``POST /events``, the Redis Streams consumer that ``tierwise
    events consume`` runs) writes here through :meth:`tierwise.realtime.Regrader.ingest`.
    ``key`` is the idempotency key: a second event with the same key is ignored. Events are
    kept (never deleted by a regrade): a customer's regrade recomputes from the run's features
    plus *all* of the customer's events since the run, so arrival order does not matter.
    ``applied_at`` is set once a regrade has applied the event (``None``: stored while no
    usable run was published; the next publish applies it).
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # order | return | payment
    customer_id: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[str] = mapped_column(String(80))  # order_id / return_id / payment_id
    order_id: Mapped[str | None] = mapped_column(String(80), nullable=True)  # a return's order
    event_time: Mapped[datetime] = mapped_column(DateTime)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # who sent it: user:<name> | key:<name> (API), redis:<stream> (consumer); None if unknown
    actor: Mapped[str | None] = mapped_column(String(120), nullable=True)

    __table_args__ = (Index("ix_events_customer", "customer_id", "event_time"),)


class CustomerProfile(Base):
    """Read model of the API: one denormalized row per customer (issue 6).

    Master data from the lake's ``customers`` table joined with the published tier
    (``customer_tiers``) and the grading details of the current run (score, tags, layers,
    segment, upgrade path, explanation, features). Rebuilt by
    :func:`tierwise.store.profiles.refresh_profiles` after every publish, so that reading one
    customer is one primary-key lookup, never a Parquet scan.
    """

    __tablename__ = "customer_profiles"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    account_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    business_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    cuisine: Mapped[str | None] = mapped_column(String(40), nullable=True)
    scale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    province: Mapped[str | None] = mapped_column(String(40), nullable=True)
    city: Mapped[str | None] = mapped_column(String(40), nullable=True)
    district: Mapped[str | None] = mapped_column(String(40), nullable=True)
    address: Mapped[str | None] = mapped_column(String(400), nullable=True)  # personal
    region_id: Mapped[str | None] = mapped_column(String(12), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    signup_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    contract_amount: Mapped[float | None] = mapped_column(Float, nullable=True)
    payment_terms: Mapped[str | None] = mapped_column(String(16), nullable=True)
    credit_limit: Mapped[float | None] = mapped_column(Float, nullable=True)
    account_manager: Mapped[str | None] = mapped_column(String(40), nullable=True)
    contact_name: Mapped[str | None] = mapped_column(String(80), nullable=True)  # personal
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)  # personal
    special_needs: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # from the published state and the current run
    run_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    tier_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    segment: Mapped[str | None] = mapped_column(String(40), nullable=True)
    spend_365d: Mapped[float | None] = mapped_column(Float, nullable=True)
    ltv: Mapped[float | None] = mapped_column(Float, nullable=True)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    layers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    upgrade: Mapped[dict[str, Any]] = mapped_column(default=dict)
    explanation: Mapped[list[Any]] = mapped_column(default=list)
    features: Mapped[dict[str, Any]] = mapped_column(default=dict)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_customer_profiles_tier", "tier"),
        Index("ix_customer_profiles_manager", "account_manager"),
        Index("ix_customer_profiles_region", "province", "city", "district"),
        Index("ix_customer_profiles_cuisine", "cuisine"),
        Index("ix_customer_profiles_name", "name"),
        Index("ix_customer_profiles_phone", "phone"),
        # covers the dashboard's one scan (value, provinces, cuisines per tier): the rows are
        # wide (explanations, features), the index is not
        Index("ix_customer_profiles_dashboard", "province", "cuisine", "tier", "spend_365d", "ltv"),
    )


class CustomerPrediction(Base):
    """The latest model predictions per customer (docs/models.md), written by
    :func:`tierwise.models.publish.publish_predictions`; ``clv`` is the profile's ``ltv``."""

    __tablename__ = "customer_predictions"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    models: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name -> version
    p_alive: Mapped[float | None] = mapped_column(Float, nullable=True)
    expected_orders: Mapped[float | None] = mapped_column(Float, nullable=True)
    expected_spend: Mapped[float | None] = mapped_column(Float, nullable=True)
    clv: Mapped[float | None] = mapped_column(Float, nullable=True)
    churn_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    predicted_spend: Mapped[float | None] = mapped_column(Float, nullable=True)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime)


class CustomerTag(Base):
    """Tags of the current run, one row per (customer, tag): filters and counts by tag."""

    __tablename__ = "customer_tags"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)

    __table_args__ = (Index("ix_customer_tags_tag", "tag"),)


class CustomerLayer(Base):
    """Layer levels of the current run, one row per (customer, layer)."""

    __tablename__ = "customer_layers"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    layer: Mapped[str] = mapped_column(String(40), primary_key=True)
    level: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_customer_layers_level", "layer", "level"),)


class User(Base):
    """A person who signs in (password hashed with argon2) and acts in one role (R-INT-5)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    # sales: the account-manager id of customers.account_manager; customer: its customer_id
    manager_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    customer_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApiKey(Base):
    """A key for a system (CRM, ERP, the customer app); only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists to tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    manager_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    customer_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # written at most once a minute per key (KEY_USE_RESOLUTION), not at every request
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEntry(Base):
    """Who did what sensitive thing: read personal data, changed a policy, overrode, exported."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(120))  # user:<name> | key:<name>
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str | None] = mapped_column(String(200), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PolicyVersion(Base):
    """A policy published through the API: its YAML text, hash and who published it."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    policy_hash: Mapped[str] = mapped_column(String(64))
    yaml_text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(120))
    published_at: Mapped[datetime] = mapped_column(DateTime)


class RetentionTask(Base):
    """A churn-retention call-back task for a customer's account manager (R-OPS-5).

    Opened when a customer is newly tagged (the policy's ``retention.tag``, by a published
    run or a real-time regrade) by :mod:`tierwise.ops.retention`. ``tag_cleared_at`` is set
    when the tag goes away; until then the task is the customer's *active* one, and the
    partial unique index keeps it to one per customer (so re-publishing a run or a duplicate
    event opens nothing new). Every status change is in ``retention_task_log``.
    """

    __tablename__ = "retention_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    account_manager: Mapped[str | None] = mapped_column(String(40), nullable=True)
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)  # when opened
    tag: Mapped[str] = mapped_column(String(40))
    # open | in_progress | done | cancelled | recovered (the tag went away while open)
    status: Mapped[str] = mapped_column(String(16), default="open")
    source: Mapped[str] = mapped_column(String(16))  # run | realtime
    run_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    due_date: Mapped[date] = mapped_column(Date)  # call back by this day
    steps: Mapped[list[Any]] = mapped_column(default=list)  # coupon / sms steps emitted
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # the latest outcome note
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(120))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    tag_cleared_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (
        Index("ix_retention_tasks_status", "status", "due_date"),
        Index("ix_retention_tasks_manager", "account_manager", "status"),
        Index(
            "uq_retention_tasks_one_active",
            "customer_id",
            unique=True,
            sqlite_where=text("tag_cleared_at IS NULL"),
            postgresql_where=text("tag_cleared_at IS NULL"),
        ),
    )


class RetentionTaskLog(Base):
    """The audit trail of a retention task: every status change or note, who and when."""

    __tablename__ = "retention_task_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("retention_tasks.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(120))  # user:<name> | key:<name> | system
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class TagDefinition(Base):
    """A user-defined tag (issue 20): a rule over features and tags, one row per version.

    Saving a tag adds a version (never updates one); deleting sets ``deleted_at`` on every
    version. The tag computed by a snapshot is the newest version not deleted.
    """

    __tablename__ = "tag_definitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    rule: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("uq_tag_definitions_code_version", "code", "version", unique=True),)


class Audience(Base):
    """A saved audience or business segment (issue 20), one row per version.

    ``kind`` is ``audience`` or ``segment`` (a named business segment such as 战略客户).
    Saving adds a version; deleting sets ``deleted_at`` on every version.
    """

    __tablename__ = "audiences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    title_zh: Mapped[str] = mapped_column(String(120))
    title_en: Mapped[str] = mapped_column(String(120))
    expression: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("uq_audiences_name_version", "name", "version", unique=True),)


class AudienceDelivery(Base):
    """Each time an audience's members were materialised for someone: an export or a push.

    Records what the list was computed from (tag snapshot, run), so it can be reproduced.
    """

    __tablename__ = "audience_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    audience: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    snapshot_as_of: Mapped[date] = mapped_column(Date)
    run_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    members: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(16))  # csv | xlsx | json | webhook
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime)


class Recommendation(Base):
    """A customer's two product lists (R-OPS-7, docs/recommendations.md): one row per customer.

    Written for everybody by :func:`tierwise.recommend.service.build_and_store` (after a run is
    published) and refreshed for one customer after a real-time order
    (:func:`tierwise.recommend.service.refresh_after_orders`). ``stats`` keeps the purchase
    stats of the customer's repeat items, so that refresh needs no lake.
    """

    __tablename__ = "recommendations"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)  # the lists are scored at this day
    run_id: Mapped[str | None] = mapped_column(String(120), nullable=True)  # tiers used
    model: Mapped[str] = mapped_column(String(40))  # what made new_items
    cold_start: Mapped[int] = mapped_column(Integer, default=0)  # 1: no history
    buy_again: Mapped[list[Any]] = mapped_column(default=list)  # 常购清单 items
    new_items: Mapped[list[Any]] = mapped_column(default=list)  # 猜你喜欢 items
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)  # repeat-item purchase stats
    source: Mapped[str] = mapped_column(String(16))  # build | realtime
    refreshed_at: Mapped[datetime] = mapped_column(DateTime)


class Lease(Base):
    """Who runs a background job now (e.g. the webhook deliverer), until when (issue 17 #1).

    A holder renews its lease well before ``expires_at``; a holder that dies stops renewing,
    and another process takes over once the lease has expired.
    """

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime)


# --- experiments, city pilots, spot checks (R-ANA-5, R-GRD-11; docs/experiments.md) ---


class Experiment(Base):
    """An A/B test of a tier strategy: its design (JSON), fixed at start with its salt."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    design: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft|running|stopped
    layer: Mapped[str | None] = mapped_column(String(40), nullable=True)
    metric: Mapped[str] = mapped_column(String(24))
    salt: Mapped[str | None] = mapped_column(String(64), nullable=True)
    power: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the check at start
    forced_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    started_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    stopped_by: Mapped[str | None] = mapped_column(String(120), nullable=True)


class ExperimentMember(Base):
    """An outlet of an experiment, with its account's arm (fixed at start)."""

    __tablename__ = "experiment_members"

    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    arm: Mapped[str] = mapped_column(String(32))
    stratum: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)  # at start

    __table_args__ = (Index("ix_experiment_members_customer", "customer_id"),)


class ExperimentLog(Base):
    """What happened to an experiment or pilot, who and when (create, start, force, stop,
    promote, roll back)."""

    __tablename__ = "experiment_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(80), index=True)  # experiment:<code>|pilot:<code>
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(24))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Pilot(Base):
    """A city pilot (灰度): a policy change in one or two cities, matched control cities."""

    __tablename__ = "pilots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    policy: Mapped[str] = mapped_column(String(80))  # the policy piloted
    pilot_cities: Mapped[list[Any]] = mapped_column(default=list)
    control_cities: Mapped[list[Any]] = mapped_column(default=list)
    start: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)  # length of the window and of each pre-period
    status: Mapped[str] = mapped_column(String(16), default="running")  # |promoted|rolled_back
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the last analysis
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)


class SpotCheck(Base):
    """A manual spot check (人工抽检) of one run's tier changes."""

    __tablename__ = "spot_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(120), index=True)
    policy_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | finished
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(120))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SpotCheckItem(Base):
    """One sampled customer of a spot check and the reviewer's verdict."""

    __tablename__ = "spot_check_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("spot_checks.id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    stratum: Mapped[str] = mapped_column(String(80))  # up|down|new|... : tier
    from_tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    to_tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    verdict: Mapped[str | None] = mapped_column(String(16), nullable=True)  # agree | disagree
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(120), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class BenefitPlan(Base):
    """The structured benefits a policy gives each tier (R-OPS-2), by policy hash.

    Saved before a run of the policy is published (:mod:`tierwise.ops.benefits.ledger`), so
    that the tier writer's hook finds the benefits of the run it follows in the database.
    ``plan``: ``{"order": [tier, ...], "grace_days": n, "tiers": {tier: [{code, kind,
    params}, ...]}}``.
    """

    __tablename__ = "benefit_plans"

    policy_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    policy_name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    saved_at: Mapped[datetime] = mapped_column(DateTime)


class BenefitGrant(Base):
    """One benefit granted to one customer because of their tier (R-OPS-2).

    Written only by the tier writer's benefits hook, in the transaction of the tier change it
    follows. ``status``: active | expired (its grace ran out) | revoked (the tier no longer
    gives it). Usable on day ``d`` when active and ``valid_from <= d`` and (``valid_until`` is
    unset or ``d < valid_until``): ``valid_until`` is the first day it no longer applies.
    At most one active grant per customer and benefit code (a partial unique index).
    """

    __tablename__ = "benefit_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tier: Mapped[str] = mapped_column(String(40))  # the tier that gave it
    status: Mapped[str] = mapped_column(String(12))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    cause: Mapped[str] = mapped_column(String(140))  # run:<id> | realtime:<run id>
    reason: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ended_reason: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_benefit_grants_customer", "customer_id", "status"),
        Index(
            "uq_benefit_grants_one_active",
            "customer_id",
            "code",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        # the grant sync looks for active grants whose grace ended (valid_until <= day)
        Index(
            "ix_benefit_grants_active_until",
            "valid_until",
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class BenefitRedemption(Base):
    """One use of a benefit (a free delivery, a priority slot, a coupon): accepted against an
    active grant, or refused with the reason (kept when it came in a file)."""

    __tablename__ = "benefit_redemptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40))
    grant_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the grant's tier
    used_on: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # yuan given away
    ref: Mapped[str | None] = mapped_column(String(80), nullable=True)  # the caller's id
    source: Mapped[str] = mapped_column(String(200))  # api | file:<name>:<row>
    status: Mapped[str] = mapped_column(String(12))  # accepted | refused
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_benefit_redemptions_customer", "customer_id", "used_on"),
        Index(
            "uq_benefit_redemptions_ref",
            "ref",
            unique=True,
            sqlite_where=text("ref IS NOT NULL"),
            postgresql_where=text("ref IS NOT NULL"),
        ),
    )


class PriceRuleRow(Base):
    """A tier price rule (R-OPS-3, :mod:`tierwise.ops.benefits.pricing`): a discount percent
    or a net price for a tier × SKU/category × region, valid ``[valid_from, valid_until)``,
    with a priority. Saved only when it conflicts with no other rule."""

    __tablename__ = "price_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # discount_pct | net_price
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sku: Mapped[str | None] = mapped_column(String(60), nullable=True)
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    region: Mapped[str | None] = mapped_column(String(40), nullable=True)
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class CreditAccount(Base):
    """A customer's credit account (R-OPS-4, docs/credit.md): the latest default-risk score
    and receivables snapshot (``tierwise credit score``), and the amounts the order check
    froze since (orders allowed, not yet on an invoice)."""

    __tablename__ = "credit_accounts"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    pd: Mapped[float | None] = mapped_column(Float, nullable=True)  # P(invoice > 30 d overdue)
    reasons: Mapped[list[Any]] = mapped_column(default=list)  # [{feature, value, zh, en}]
    model: Mapped[str] = mapped_column(String(40))
    spend_90d: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    unsettled: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    prepaid_balance: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    overdue_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    overdue_1_30: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    overdue_31_60: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    overdue_61_90: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    overdue_over_90: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    max_days_overdue: Mapped[int] = mapped_column(Integer, default=0)
    frozen: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # allowed orders since as_of
    paid_since: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # payments recorded since
    scored_at: Mapped[datetime] = mapped_column(DateTime)


class CreditTerms(Base):
    """A customer's payment terms, deposit and credit limit in force, and stricter terms
    announced for a later day (the notice period)."""

    __tablename__ = "credit_terms"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    band: Mapped[str] = mapped_column(String(20))
    pd: Mapped[float | None] = mapped_column(Float, nullable=True)
    terms: Mapped[str] = mapped_column(String(16))
    deposit_pct: Mapped[float] = mapped_column(Float)
    credit_limit: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    pending_terms: Mapped[str | None] = mapped_column(String(16), nullable=True)
    pending_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    since: Mapped[date] = mapped_column(Date)
    reasons: Mapped[dict[str, Any]] = mapped_column(default=dict)
    policy: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_credit_terms_pending", "pending_from"),)


class CreditTermsChange(Base):
    """History: every change of a customer's terms (announced or in force), with reasons."""

    __tablename__ = "credit_terms_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    from_terms: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_terms: Mapped[str] = mapped_column(String(16))
    change: Mapped[str] = mapped_column(String(16))  # new | looser | stricter | notice
    deposit_pct: Mapped[float] = mapped_column(Float)
    credit_limit: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    effective: Mapped[date] = mapped_column(Date)
    decided_at: Mapped[datetime] = mapped_column(DateTime)
    source: Mapped[str] = mapped_column(String(16))  # run | realtime | cli
    run_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    reasons: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CreditHold(Base):
    """An order hold: overdue beyond the policy's days or over the limit; released on
    payment (the next check finds the cause gone) or by a finance override."""

    __tablename__ = "credit_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # overdue | over_limit
    amount_over: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    released_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    release_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index(
            "uq_credit_holds_one_open",
            "customer_id",
            "kind",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )


class CreditOverride(Base):
    """A finance user's override of a hold for one order amount; above the policy's amount it
    needs a second approver (another finance user) before it counts."""

    __tablename__ = "credit_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | used
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    approved_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RebatePayout(Base):
    """A payout or credit-note batch (R-OPS-3): the accruals it moved from accrued to paid,
    each exactly once (:mod:`tierwise.ops.benefits.rebate_store`)."""

    __tablename__ = "rebate_payouts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # payout | credit_note
    period: Mapped[str | None] = mapped_column(String(8), nullable=True)  # 2026-11 | 2026-Q4
    lines: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class RebateAccrual(Base):
    """A rebate accrued to a customer for a period (R-OPS-3): the rate of the rebate grant in
    force on the period's last day times the period's net sales (orders − refunds). A period
    re-accrued updates its open row; once paid, a change is a new ``adjustment`` row."""

    __tablename__ = "rebate_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(8))  # 2026-11 | 2026-Q4
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # last day (inclusive)
    entry: Mapped[str] = mapped_column(String(12))  # accrual | adjustment
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    grant_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pct: Mapped[Decimal] = mapped_column(Numeric(7, 3))
    gross: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # orders in the period, yuan
    refunds: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # refunds granted in the period
    net: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # gross − refunds
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # yuan accrued by this row
    status: Mapped[str] = mapped_column(String(8))  # accrued | paid
    payout_id: Mapped[int | None] = mapped_column(
        ForeignKey("rebate_payouts.id"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_rebate_ledger_period", "period", "customer_id"),
        Index("ix_rebate_ledger_customer", "customer_id", "period_start"),
        Index(
            "uq_rebate_ledger_one_open",
            "customer_id",
            "period",
            unique=True,
            sqlite_where=text("status = 'accrued'"),
            postgresql_where=text("status = 'accrued'"),
        ),
    )


class VisitCadence(Base):
    """A customer's visit cadence (R-OPS-8): channel and interval from the tier, the next
    due day and why; written by the visits module's tier-writer hook in the transaction of
    every tier write, and on check-out (``last_visit``)."""

    __tablename__ = "visit_cadences"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    channel: Mapped[str] = mapped_column(String(8))  # visit | phone
    every_days: Mapped[int] = mapped_column(Integer)
    next_due: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(16))  # cadence | churn_warning | onboarding
    last_visit: Mapped[date | None] = mapped_column(Date, nullable=True)
    policy: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_visit_cadences_due", "channel", "next_due"),)


class VisitStop(Base):
    """One planned visit of a manager's day, its place in the route, and what happened:
    check-in (with its distance from the outlet; far is flagged, not refused), check-out with
    the outcome. A visit not done by the end of its day is ``missed`` and the customer, still
    due, is planned again (``rolled_from`` = the first day it was planned)."""

    __tablename__ = "visit_stops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    manager_id: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reason: Mapped[str] = mapped_column(String(16))
    value_at_risk: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)  # place in the manager's line that day
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # place in the route
    eta_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)  # after day start
    late_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    # planned | checked_in | done | missed
    status: Mapped[str] = mapped_column(String(16), default="planned")
    rolled_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    checkin_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    checkin_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    checkin_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    checkin_distance_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    far: Mapped[int] = mapped_column(Integer, default=0)  # 1: check-in far from the outlet
    checkout_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str | None] = mapped_column(String(120), nullable=True)
    planned_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("uq_visit_stops_day_customer", "day", "customer_id", unique=True),
        Index("ix_visit_stops_manager_day", "manager_id", "day"),
    )


class SurveyWave(Base):
    """One sending of a survey (R-OPS-8, issue 26): a sample of customers stratified by tier
    with quotas (``survey_recipients``), sent on ``sent_on``."""

    __tablename__ = "survey_waves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey: Mapped[str] = mapped_column(String(40))  # e.g. nps
    sent_on: Mapped[date] = mapped_column(Date)
    policy: Mapped[str] = mapped_column(String(80))
    seed: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class SurveyRecipient(Base):
    """A customer sampled into a wave, with the tier and weighting cell they were drawn in
    (the population the non-response weights are computed over)."""

    __tablename__ = "survey_recipients"

    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    cell: Mapped[str] = mapped_column(String(40))
    account_manager: Mapped[str | None] = mapped_column(String(40), nullable=True)

    __table_args__ = (Index("ix_survey_recipients_customer", "customer_id"),)


class SurveyAnswer(Base):
    """One answer (score 0-10, comment), one per customer per wave; a detractor's answer
    (0-6) opens one retention task (``followup_task_id``)."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id"))
    customer_id: Mapped[str] = mapped_column(String(40))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)  # personal (free text)
    # reason codes ticked (the survey policy's ``reasons``); None: not asked (file / API)
    reasons: Mapped[list[Any] | None] = mapped_column(nullable=True)
    answered_at: Mapped[datetime] = mapped_column(DateTime)
    source: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(DateTime)
    followup_task_id: Mapped[int | None] = mapped_column(
        ForeignKey("retention_tasks.id"), nullable=True
    )

    __table_args__ = (
        Index("uq_survey_answers_wave_customer", "wave_id", "customer_id", unique=True),
    )


class SurveyReject(Base):
    """A row of an answers file refused when loaded, kept with its row, column, value and
    reason (like the ingest's quarantine)."""

    __tablename__ = "survey_rejects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    row: Mapped[int] = mapped_column(Integer)  # 1-based data row of the file (header excluded)
    column: Mapped[str] = mapped_column(String(40))
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(DateTime)


class SupplyRun(Base):
    """One day's supply plan (R-OPS-9, issue 27): forecasts by tier, levels, the replenishment
    proposal and the allocation of that day's orders, computed from the lake as of ``as_of``."""

    __tablename__ = "supply_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    policy: Mapped[str] = mapped_column(String(80))
    skus: Mapped[int] = mapped_column(Integer)
    series: Mapped[int] = mapped_column(Integer)  # series of the forecast hierarchy
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class SupplyForecast(Base):
    """Actual (history) and reconciled forecast demand per week of the run's category, tier,
    category × tier and total series (the console's forecast vs actual)."""

    __tablename__ = "supply_forecasts"

    run_id: Mapped[int] = mapped_column(ForeignKey("supply_runs.id"), primary_key=True)
    level: Mapped[str] = mapped_column(String(40), primary_key=True)
    series: Mapped[str] = mapped_column(String(200), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    actual: Mapped[float | None] = mapped_column(Float, nullable=True)
    forecast: Mapped[float | None] = mapped_column(Float, nullable=True)


class SupplyLevel(Base):
    """Stock position and the levels by tier of one SKU × warehouse in a run."""

    __tablename__ = "supply_levels"

    run_id: Mapped[int] = mapped_column(ForeignKey("supply_runs.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), primary_key=True)
    warehouse_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    on_hand: Mapped[float | None] = mapped_column(Float, nullable=True)
    position: Mapped[float | None] = mapped_column(Float, nullable=True)
    mean_daily: Mapped[float] = mapped_column(Float)
    cover_days: Mapped[float | None] = mapped_column(Float, nullable=True)  # on hand / mean
    safety_stock: Mapped[float] = mapped_column(Float)
    reorder_point: Mapped[float] = mapped_column(Float)
    order_up_to: Mapped[float] = mapped_column(Float)
    binding_tier: Mapped[str] = mapped_column(String(40))


class SupplyOrderLine(Base):
    """A proposed purchase order line (the daily replenishment proposal, per supplier)."""

    __tablename__ = "supply_order_lines"

    run_id: Mapped[int] = mapped_column(ForeignKey("supply_runs.id"), primary_key=True)
    po_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), primary_key=True)
    supplier: Mapped[str] = mapped_column(String(120))
    warehouse_id: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[float] = mapped_column(Float)
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    expected_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))


class SupplyAllocation(Base):
    """How the run day's order lines were served from the stock on hand, with the reason."""

    __tablename__ = "supply_allocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("supply_runs.id"), index=True)
    order_id: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(String(40))
    tier: Mapped[str] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String(40))
    warehouse_id: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[float] = mapped_column(Float)
    allocated: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(200))


class SupplyExclusion(Base):
    """A SKU × warehouse left out of a run's proposal: no lead time, or a count with
    negative stock (quarantined), with the reason."""

    __tablename__ = "supply_exclusions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("supply_runs.id"), index=True)
    sku: Mapped[str] = mapped_column(String(40))
    warehouse_id: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))  # no_lead_time | negative_stock
    reason: Mapped[str] = mapped_column(String(200))


class Campaign(Base):
    """A marketing campaign by tier (R-OPS-6, issue 24): its validated definition (``spec``,
    docs/campaigns.md) and the salt of its holdout draw."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    audience: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16))  # active | paused | ended
    spec: Mapped[dict[str, Any]] = mapped_column()
    salt: Mapped[str] = mapped_column(String(32))
    budget_fen: Mapped[int] = mapped_column(Integer)
    holdout_share: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class CampaignSend(Base):
    """One audience member in one wave of a campaign: its arm (treated / holdout), what was
    decided (send, holdout, opted_out, capped, over_budget) and, for a message, its channel,
    variant, cost, coupon and the provider's callbacks."""

    __tablename__ = "campaign_sends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    wave: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[str] = mapped_column(String(40))
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    arm: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(8), nullable=True)
    variant: Mapped[str | None] = mapped_column(String(40), nullable=True)
    not_before: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    cost_fen: Mapped[int] = mapped_column(Integer, default=0)
    coupon_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    clicked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (
        Index("uq_campaign_sends_wave_customer", "campaign_id", "wave", "customer_id", unique=True),
        Index("ix_campaign_sends_customer_time", "customer_id", "not_before"),
    )


class CampaignCoupon(Base):
    """A coupon issued to one customer (unique code): its template, validity and, once
    used, the order it was redeemed on (once)."""

    __tablename__ = "campaign_coupons"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    template: Mapped[dict[str, Any]] = mapped_column()
    face_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # issued | redeemed | void
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    valid_from: Mapped[datetime] = mapped_column(DateTime)
    valid_until: Mapped[datetime] = mapped_column(DateTime)
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    discount_fen: Mapped[int | None] = mapped_column(Integer, nullable=True)
    redeemed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class CampaignOptout(Base):
    """A customer who does not want messages on ``channel`` (``*``: on any channel)."""

    __tablename__ = "campaign_optouts"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SurveyFollowup(Base):
    """A follow-up wave (``wave_id``) of a random subsample of the non-respondents of
    ``parent_wave_id`` (two-phase sampling for non-response, issue 26): drawn at
    ``fraction`` in each tier once the parent wave is closed, asked through ``channel``
    (``call``: the account manager's phone call). A wave has at most one follow-up."""

    __tablename__ = "survey_followups"

    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id"), primary_key=True)
    parent_wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id"), unique=True)
    fraction: Mapped[float] = mapped_column(Float)
    channel: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ServiceTicket(Base):
    """A customer-service ticket received through the API (the CRM posts new tickets and
    status changes, R-OPS-1). The service queue reads the lake's ``tickets`` and these; a row
    here with the ticket id of a lake ticket is its latest state."""

    __tablename__ = "service_tickets"

    ticket_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    created_time: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(12))  # complaint | inquiry
    severity: Mapped[int] = mapped_column(Integer)  # 1 minor, 2 serious, 3 critical
    topic: Mapped[str] = mapped_column(String(16))
    resolved_time: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    resolution: Mapped[str | None] = mapped_column(String(16), nullable=True)
    source: Mapped[str] = mapped_column(String(140))  # api:<subject>
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class PriceRuleVersion(Base):
    """One row (``id`` 1) counting the changes to ``price_rules``: every save and delete bumps
    it in its transaction, so a quote checks in one primary-key read that its in-process rule
    index is current (:func:`tierwise.ops.benefits.price_rules.rule_index`)."""

    __tablename__ = "price_rule_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
