"""Settings from one place: environment variables (``TIERWISE_*``) and an optional ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tierwise.schedules import Schedule


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
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body the API accepts (413)."
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
