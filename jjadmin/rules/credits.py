"""学时要求 (data/credit-rules.toml; SPEC §6 Credits): the annual and cycle requirements of a
year, proration for teachers added during the year or cycle, the cycle grid. Pure."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from jjadmin.errors import InvalidValue

HOUR_TYPES = ("公需科目", "专业科目", "个人选修")
SCHOOL_BASED = "校本培训"
_CYCLE = re.compile(r"\s*(\d{4})\s*[-–—~至]\s*(\d{4})\s*")


@dataclass(frozen=True)
class AnnualRule:
    year: int
    required_hours: Decimal
    min_public: Decimal
    min_professional: Decimal
    min_elective: Decimal
    min_school_based: Decimal
    carry_over: bool
    new_teacher_prorate: bool


@dataclass(frozen=True)
class CycleRule:
    start: int
    end: int
    required_hours: Decimal
    prorate_by_years_in_post: bool

    @property
    def label(self) -> str:
        return f"{self.start}-{self.end}"


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _section(rules: Mapping[str, Any], name: str, year: int) -> dict[str, Any]:
    merged = dict(rules.get(name, {}))
    merged.update(rules.get("years", {}).get(str(year), {}).get(name, {}))
    return merged


def annual_rule(rules: Mapping[str, Any], year: int) -> AnnualRule:
    """The [annual] defaults with the [years.YYYY.annual] overrides of `year`."""
    a = _section(rules, "annual", year)
    return AnnualRule(
        year=year,
        required_hours=_dec(a.get("required_hours", 72)),
        min_public=_dec(a.get("min_public", 0)),
        min_professional=_dec(a.get("min_professional", 0)),
        min_elective=_dec(a.get("min_elective", 0)),
        min_school_based=_dec(a.get("min_school_based", 0)),
        carry_over=bool(a.get("carry_over", False)),
        new_teacher_prorate=bool(a.get("new_teacher_prorate", True)),
    )


def parse_cycle(rules: Mapping[str, Any], text: str) -> CycleRule:
    """'2021-2025' → the cycle's rule. The cycle must be one of the configured grid
    (cycle.first_start_year + k × cycle.length_years). Raises InvalidValue (cycle-invalid)."""
    base = dict(rules.get("cycle", {}))
    length = int(base.get("length_years", 5))
    first = int(base.get("first_start_year", 2021))
    m = _CYCLE.fullmatch(text or "")
    if m is None:
        raise InvalidValue(f"周期“{text}”无效，应为起止年份，如 {first}-{first + length - 1}")
    start, end = int(m.group(1)), int(m.group(2))
    if end - start + 1 != length or (start - first) % length != 0:
        raise InvalidValue(
            f"周期“{text}”无效：每个周期 {length} 年，自 {first} 年起"
            f"（如 {first}-{first + length - 1}、{first + length}-{first + 2 * length - 1}）",
            code="cycle-invalid",
        )
    c = _section(rules, "cycle", start)
    return CycleRule(
        start=start,
        end=end,
        required_hours=_dec(c.get("required_hours", 360)),
        prorate_by_years_in_post=bool(c.get("prorate_by_years_in_post", True)),
    )


def annual_required(rule: AnnualRule, added: date) -> Decimal:
    """A teacher's requirement for `rule.year`: the whole of it, or — added during that year
    and proration on — required × months in post / 12, rounded up to a whole hour (the month
    of joining counts). A teacher added after the year owes nothing for it."""
    if added.year > rule.year:
        return Decimal(0)
    if added.year < rule.year or not rule.new_teacher_prorate:
        return rule.required_hours
    months = 12 - added.month + 1
    return _ceil(rule.required_hours * months / 12)


def cycle_required(rule: CycleRule, added: date) -> Decimal:
    """The cycle's requirement: whole, or prorated by the years in post within the cycle
    (the year of joining counts), rounded up to a whole hour."""
    if added.year > rule.end:
        return Decimal(0)
    if added.year <= rule.start or not rule.prorate_by_years_in_post:
        return rule.required_hours
    years = rule.end - added.year + 1
    return _ceil(rule.required_hours * years / (rule.end - rule.start + 1))


def _ceil(value: Decimal) -> Decimal:
    return Decimal(math.ceil(value))


def annual_passed(
    rule: AnnualRule,
    required: Decimal,
    total: Decimal,
    public: Decimal,
    professional: Decimal,
    elective: Decimal,
    school_based: Decimal,
) -> bool:
    """达标: the total reaches the (prorated) requirement and every category its minimum.
    Hours above the requirement never carry over (the ledger of one year is counted alone)."""
    return (
        total >= required
        and public >= rule.min_public
        and professional >= rule.min_professional
        and elective >= rule.min_elective
        and school_based >= rule.min_school_based
    )
