"""The only module that reads the wall clock; honours JJADMIN_NOW (SPEC §1)."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def parse_now(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive value is taken as Asia/Shanghai."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=TZ)
    return value.astimezone(TZ)


def now(override: str | None = None) -> datetime:
    """Current time in Asia/Shanghai; `override` or JJADMIN_NOW wins when set."""
    text = override if override is not None else os.environ.get("JJADMIN_NOW")
    if text:
        return parse_now(text)
    return datetime.now(TZ)


def wall() -> datetime:
    """The real wall-clock time (log file names only; rules use `now()`)."""
    return datetime.now(TZ)


def local(value: datetime) -> datetime:
    """A stored timestamp shown in Asia/Shanghai (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(TZ)
