"""The name of a period's billing lock (PostgreSQL advisory lock key), shared by the ORM and
the DB-API paths. Light: no SQLAlchemy."""

from __future__ import annotations

import zlib


def period_lock_key(code: str) -> int:
    """The advisory-lock key of period `code`'s billing lock (the close exclusive; payments,
    clearings and drops shared). The same number db.lock_key gives for the same name."""
    return zlib.crc32(f"billing-period:{code}".encode())
