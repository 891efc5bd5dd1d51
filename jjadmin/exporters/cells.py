"""Cell values safe to hand to Excel: formula-injection guard and text rendering (SPEC §5)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import TypeVar

__all__ = ["FORMULA_PREFIXES", "XLSXWRITER_OPTIONS", "as_text", "safe_cell"]

T = TypeVar("T")

# OWASP "CSV injection": cells starting with these characters may be run as formulas.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")

# Every str is written as a string, never turned into a formula, number or link.
XLSXWRITER_OPTIONS: dict[str, object] = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def safe_cell(value: T) -> T | str:
    """Prefix a single quote to text starting with = + - @ TAB CR LF; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def as_text(value: object) -> str | None:
    """Text for a text-formatted cell (codes, IDs): 123.0 → '123', midnight datetime → date."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
