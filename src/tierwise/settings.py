"""Settings from one place: environment variables (``TIERWISE_*``) and an optional ``.env``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tierwise.errors import ConfigError


class Schedule(BaseModel):
    """One schedule of the settings (``TIERWISE_SCHEDULES``, a JSON list)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    cron: str
    timezone: str = "Asia/Shanghai"
    policy: str | None = None
    #: languages of the analysis report written after each published run (R-ANA-8), e.g.
    #: ["zh", "en"]: $TIERWISE_HOME/reports/<run_id>.<lang>.html; none by default
    report: tuple[Literal["zh", "en"], ...] = ()
    report_days: int = Field(default=30, ge=1, le=365)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, v: str) -> str:
        try:
            CronTrigger.from_crontab(v)
        except ValueError as err:
            raise ValueError(
                f"not a crontab expression (minute hour day month weekday): {v!r}: {err}"
            ) from err
        return v

    @property
    def trigger_name(self) -> str:
        """What runs started by this schedule record as their trigger."""
        return f"schedule:{self.name}"

    def first_fire_after(self, after: datetime) -> datetime:
        """The first fire time strictly after ``after`` (naive UTC in, naive UTC out)."""
        try:
            trigger = CronTrigger.from_crontab(self.cron, timezone=ZoneInfo(self.timezone))
        except (ValueError, KeyError) as err:
            raise ConfigError(f"schedule {self.name!r}: {err}", schedule=self.name) from err
        aware = after.replace(tzinfo=UTC) + timedelta(microseconds=1)
        fire: datetime | None = trigger.get_next_fire_time(None, aware)
        if fire is None:  # cron expressions always fire again; kept for the type checker
            raise ConfigError(f"schedule {self.name!r} never fires again", schedule=self.name)
        return fire.astimezone(UTC).replace(tzinfo=None)

    def as_of_for(self, fire: datetime) -> date:
        """The as_of date a run fired at ``fire`` (naive UTC) grades: the previous local day."""
        local = fire.replace(tzinfo=UTC).astimezone(ZoneInfo(self.timezone))
        return local.date() - timedelta(days=1)


class Settings(BaseSettings):
    """Process-wide settings. Read once; pass the object down, do not re-read inside stages."""

    model_config = SettingsConfigDict(env_prefix="TIERWISE_", env_file=".env", extra="ignore")

    home: Path = Field(
        default=Path("var"),
        description="Working directory for the lake, quarantine, runs and the state database.",
    )
    env: str = Field(default="development", description="development | test | production")
    database_url: str | None = Field(
        default=None,
        description="Operational store (SQLAlchemy URL); default: SQLite at HOME/state.db. "
        "PostgreSQL in production: postgresql+psycopg://user:password@host:5432/tierwise",
    )
    secret_key: str = Field(
        default="",
        description="Key that signs the API's access tokens (JWT, HS256). Required outside "
        "env=development|test: at least 32 random characters (`openssl rand -hex 32`).",
    )
    token_minutes: int = Field(default=60, ge=1, description="Lifetime of an access token.")
    survey_link_secret: str = Field(
        default="",
        description="Key that signs the customers' personal survey answer links (HMAC-SHA256, "
        "docs/surveys.md); at least 32 random characters. Without it no link is made or read.",
    )
    public_url: str = Field(
        default="http://localhost:8000",
        description="The address customers reach this service at: the base of their survey "
        "answer links (<public_url>/console/answer/<token>).",
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins per user name within LOGIN_WINDOW_SECONDS "
        "before 429 (Retry-After).",
    )
    login_max_failures_per_address: int = Field(
        default=20, ge=1, description="Failed sign-ins per client address within the window."
    )
    login_window_seconds: int = Field(
        default=900, ge=1, description="Window of the login throttle (seconds)."
    )
    webhook_poll_seconds: float = Field(
        default=2.0, gt=0, description="How often `serve` delivers due webhook messages."
    )
    webhook_retry_seconds: float = Field(
        default=5.0,
        gt=0,
        description="First retry delay of a failed webhook message "
        "(doubles each attempt, at most an hour).",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body the API accepts (413)."
    )
    engine: str = Field(
        default="duckdb",
        description="Compute engine for gradings: duckdb (embedded) or spark (see docs/spark.md).",
    )
    spark_master: str = Field(
        default="local[2]",
        description="Spark master: local[N], spark://host:7077 (standalone cluster) or "
        "sc://host:15002 (Spark Connect).",
    )
    memory_limit: str | None = Field(
        default=None,
        description="Memory cap of a grading, e.g. 2GB: DuckDB memory_limit (spilling to "
        "spill_dir beyond it); Spark driver/executor memory. Default: the engine's own.",
    )
    spill_dir: str | None = Field(
        default=None,
        description="Where an engine spills under the memory cap (default: a temp folder).",
    )
    credit_policy: Path | None = Field(
        default=None,
        description="Credit policy (R-OPS-4, docs/credit.md) for the order check and the terms; "
        "default: policies/operations/credit.yaml.",
    )
    campaign_policy: Path | None = Field(
        default=None,
        description="Campaigns policy (R-OPS-6, docs/campaigns.md: frequency cap, quiet hours, "
        "rate limits) for the API, the console, the CLI and the triggered campaigns; "
        "default: policies/operations/campaigns.yaml.",
    )
    survey_policy: Path | None = Field(
        default=None,
        description="Survey policy (R-OPS-8, docs/surveys.md: quotas, cooldown, weighting) for "
        "the API, the console and the CLI; default: policies/operations/surveys.yaml.",
    )
    visit_policy: Path | None = Field(
        default=None,
        description="Visit policy (R-OPS-8, docs/visits.md: cadences, capacity) for the API, "
        "the console, the CLI and the cadence that follows every tier write; default: "
        "policies/operations/visits.yaml.",
    )
    credit_on_publish: bool = Field(
        default=False,
        description="Recompute credit terms in the transaction of every tier write (publication "
        "and real-time regrade) of the API service and `tierwise grade --publish`.",
    )
    schedules: list[Schedule] = Field(
        default_factory=list,
        description='Scheduled runs, a JSON list: [{"name": "daily", "cron": "0 3 * * *", '
        '"policy": "policies/kuailv.yaml"}] (cron read in Asia/Shanghai unless "timezone" says).',
    )

    @property
    def runs_dir(self) -> Path:
        """Grading runs, one folder each (tierwise.grading.layout)."""
        return self.home / "runs"

    @property
    def policies_dir(self) -> Path:
        """Policy YAML files the API lists, validates and publishes."""
        return self.home / "policies"

    @property
    def lake_dir(self) -> Path:
        """Canonical Parquet tables, one directory per table."""
        return self.home / "lake"

    @property
    def models_dir(self) -> Path:
        """Fitted models, one folder per name and version (``models/<name>/<version>/``)."""
        return self.home / "models"

    @property
    def state_url(self) -> str:
        """The operational store's URL."""
        return self.database_url or f"sqlite:///{self.home / 'state.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (cached)."""
    return Settings()
