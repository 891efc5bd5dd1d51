"""Settings from the environment (JJADMIN_*) and the command line; no import-time singleton.

Deliberately plain Python: every command pays for this module at start-up, and
pydantic-settings alone cost ~0.25 s there (bench/README.md, step (f): `teacher list` must
answer in 0.5 s including start-up). A dozen settings of a few types do not need it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

APP_NAME = "jjadmin"
ENV_PREFIX = "JJADMIN_"


def data_dir() -> Path:
    """Per-user data directory (database, logs)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """Per-user config directory (session file)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


class SettingsError(ValueError):
    """One setting has a value of the wrong kind; names the variable, the value and why."""

    def __init__(self, name: str, value: object, reason: str) -> None:
        super().__init__(f"{name}={value!r}: {reason}")
        self.name = name
        self.value = value
        self.reason = reason


def _text(value: str) -> str | None:
    return value


def _positive_int(value: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ValueError("应为正整数") from None
    if number <= 0:
        raise ValueError("应为正整数")
    return number


_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f", ""}


def _bool(value: str) -> bool:
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError("应为 true/false、1/0、yes/no 或 on/off")


_ROLE_PREFIX_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def _role_prefix(value: str) -> str:
    """A PostgreSQL role-name prefix: lower-case letters, digits and _, starting with a
    letter, at most 30 characters (it is shared by every database on the server)."""
    text = value.strip()
    if (
        not text
        or len(text) > 30
        or not text[0].isascii()
        or not text[0].isalpha()
        or not set(text) <= _ROLE_PREFIX_CHARS
    ):
        raise ValueError("应以小写字母开头，只含小写字母、数字和下划线，最多 30 个字符")
    return text


def _path(value: str) -> Path | None:
    return Path(value) if value.strip() else None


def normalise_database_url(value: str | None) -> str | None:
    """'' → None; postgres:// and postgresql:// → postgresql+psycopg:// (psycopg 3)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    for prefix in ("postgresql://", "postgres://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


@dataclass(frozen=True)
class Settings:
    """Everything configurable; `--db` beats JJADMIN_DATABASE_URL beats the default file."""

    database_url: str | None = None
    now: str | None = None
    sms: str = "console"
    token: str | None = None
    max_rows: int = 1_000_000
    session_file: Path | None = None
    log_dir: Path | None = None
    debug: bool = False
    credit_rules: Path | None = None
    # a city on PostgreSQL: login roles are named prefix + username (`db roles sync`)
    pg_role_prefix: str = "jj_"
    pg_connection_limit: int = 20
    # texts per second a bulk SMS run (`notice post --sms`) sends at most
    sms_rate: int = 1000

    def __post_init__(self) -> None:
        object.__setattr__(self, "database_url", normalise_database_url(self.database_url))
        if self.max_rows <= 0:
            raise SettingsError(f"{ENV_PREFIX}MAX_ROWS", self.max_rows, "应为正整数")

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


_PARSERS: dict[str, Callable[[str], Any]] = {
    "database_url": _text,
    "now": _text,
    "sms": str,
    "token": _text,
    "max_rows": _positive_int,
    "session_file": _path,
    "log_dir": _path,
    "debug": _bool,
    "credit_rules": _path,
    "pg_role_prefix": _role_prefix,
    "pg_connection_limit": _positive_int,
    "sms_rate": _positive_int,
}


def get_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings once per invocation from JJADMIN_* (names case-insensitive, like
    pydantic-settings) and `overrides`; None overrides are ignored.

    Raises SettingsError naming the variable when a value cannot be read.
    """
    env = os.environ if environ is None else environ
    upper = {k.upper(): v for k, v in env.items() if k.upper().startswith(ENV_PREFIX)}
    values: dict[str, Any] = {}
    for f in fields(Settings):
        name = f"{ENV_PREFIX}{f.name.upper()}"
        if name in upper:
            try:
                values[f.name] = _PARSERS[f.name](upper[name])
            except ValueError as exc:
                raise SettingsError(name, upper[name], str(exc)) from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
