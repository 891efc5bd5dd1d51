"""Settings from the environment (JJADMIN_*) and the command line; no import-time singleton."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "jjadmin"


def data_dir() -> Path:
    """Per-user data directory (database, logs)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """Per-user config directory (session file)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


class Settings(BaseSettings):
    """Everything configurable; `--db` beats JJADMIN_DATABASE_URL beats the default file."""

    model_config = SettingsConfigDict(env_prefix="JJADMIN_", extra="ignore")

    database_url: str | None = None
    now: str | None = None
    sms: str = "console"
    token: str | None = None
    max_rows: int = Field(default=1_000_000, gt=0)
    session_file: Path | None = None
    log_dir: Path | None = None
    debug: bool = False
    credit_rules: Path | None = None

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{data_dir() / 'jjadmin.db'}"

    @property
    def effective_session_file(self) -> Path:
        return self.session_file or config_dir() / "session.json"

    @property
    def effective_log_dir(self) -> Path:
        return self.log_dir or data_dir() / "logs"


def get_settings(**overrides: Any) -> Settings:
    """Build settings once per invocation; None overrides are ignored."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
