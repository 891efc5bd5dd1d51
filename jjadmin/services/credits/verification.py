"""年度验证 (`credits annual --year`) and 周期验证 (`credits cycle --cycle`): every 在职 teacher
of the actor's scope, hours by type from the ledger against data/credit-rules.toml.

One set-based query: the ledger of the year (or the cycle's years) summed per teacher and
hour type in the database (GROUP BY over the covering (year, teacher_id, hour_type, hours)
index), joined to the teachers and their schools; Python then only prorates and compares.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jjadmin.clock import TZ, local
from jjadmin.errors import InputRejected
from jjadmin.rules.credits import (
    SCHOOL_BASED,
    annual_required,
    annual_rule,
    cycle_required,
    parse_cycle,
)
from jjadmin.rules.money import format_hours
from jjadmin.services.context import ServiceContext
from jjadmin.services.scope_rules import find_school, school_scope_sql

VERIFIERS = ("city", "district", "school")
ACTIVE = "在职"
_ZERO = Decimal(0)


@cache
def _rules_at(path: str | None) -> dict[str, Any]:
    if path is None:
        text = resources.files("jjadmin").joinpath("data", "credit-rules.toml").read_text("utf-8")
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise InputRejected(f"无法读取学时规则文件 {path}：{exc.strerror or exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputRejected(f"学时规则文件格式错误：{exc}") from exc


def credit_rules(ctx: ServiceContext) -> dict[str, Any]:
    """data/credit-rules.toml, or the file JJADMIN_CREDIT_RULES names."""
    path = ctx.settings.credit_rules if ctx.settings is not None else None
    return _rules_at(None if path is None else str(path))


@dataclass(frozen=True, slots=True)
class VerifiedTeacher:
    learner_no: str
    name: str
    school_code: str
    school_name: str
    period: str  # '2026' or '2021-2025'
    total: str
    public: str
    professional: str
    elective: str
    school_based: str
    required: str
    passed: bool


@dataclass(frozen=True, slots=True)
class SchoolRate:
    school_code: str
    school_name: str
    teachers: int
    passed: int
    rate: str


@dataclass
class Verification:
    kind: str  # annual | cycle
    period: str
    required_hours: str
    minimums: dict[str, str]
    rows: list[VerifiedTeacher] = field(default_factory=list)
    schools: list[SchoolRate] = field(default_factory=list)
    teachers: int = 0
    passed: int = 0
    rate: str = "0.0%"


def _rate(passed: int, total: int) -> str:
    if not total:
        return "0.0%"
    return f"{(Decimal(passed) * 100 / total).quantize(Decimal('0.1'))}%"


_AGGREGATE = """
SELECT cr.teacher_id AS teacher_id,
  CAST(ROUND(SUM(CASE WHEN cr.hour_type = :public THEN cr.hours ELSE 0 END) * 10) AS INTEGER)
    AS public,
  CAST(ROUND(SUM(CASE WHEN cr.hour_type = :professional THEN cr.hours ELSE 0 END) * 10)
    AS INTEGER) AS professional,
  CAST(ROUND(SUM(CASE WHEN cr.hour_type = :elective THEN cr.hours ELSE 0 END) * 10) AS INTEGER)
    AS elective,
  CAST(ROUND(SUM(CASE WHEN cr.training_level = :school_based THEN cr.hours ELSE 0 END) * 10)
    AS INTEGER) AS school_based,
  CAST(ROUND(SUM(cr.hours) * 10) AS INTEGER) AS total
FROM credit_record cr WHERE cr.year BETWEEN :first AND :last GROUP BY cr.teacher_id
"""


def _query(ctx: ServiceContext, first: int, last: int, school: str | None) -> Sequence[Any]:
    """(学号, 姓名, 学校代码, 学校名称, created_at, public, professional, elective, school-based,
    total) per 在职 teacher in scope added before `last` ended; the hours as integer tenths
    (summed and scaled in the database), created_at only for teachers added since `first`
    began (the only ones prorated; as stored, see `_Added`).

    One statement on the DB-API driver (no SQLAlchemy: `credits annual` is waited for at the
    terminal), the same text on SQLite and PostgreSQL; the scope is scope_rules' SQL form.
    """
    actor = ctx.require(*VERIFIERS, action="学时验证")
    begin, end = datetime(first, 1, 1, tzinfo=TZ), datetime(last + 1, 1, 1, tzinfo=TZ)
    scope, params = school_scope_sql(actor, "s")
    with ctx.raw_reading() as db:
        params.update(
            {
                "public": "公需科目",
                "professional": "专业科目",
                "elective": "个人选修",
                "school_based": SCHOOL_BASED,
                "first": first,
                "last": last,
                "active": ACTIVE,
                "begin": _stamp(db.dialect, begin),
                "end": _stamp(db.dialect, end),
            }
        )
        where = f"t.status = :active AND t.created_at < :end AND {scope}"
        if school is not None:
            school_id, _ = find_school(db, actor, school)
            where += " AND s.id = :school_id"
            params["school_id"] = school_id
        return db.rows(
            "SELECT t.learner_no, t.name, s.code, s.name,"
            " CASE WHEN t.created_at >= :begin THEN t.created_at END,"
            " a.public, a.professional, a.elective, a.school_based, a.total"
            " FROM teacher t JOIN school s ON s.id = t.school_id"
            f" LEFT JOIN ({_AGGREGATE}) a ON a.teacher_id = t.id"
            f" WHERE {where} ORDER BY s.code, t.learner_no",
            params,
        )


def _stamp(dialect: str, value: datetime) -> Any:
    """A timestamp parameter as the column stores it (SQLite: naive UTC text)."""
    if dialect == "sqlite":
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


class _Tenths(dict[int, str]):
    """Integer tenths of an hour → '72', '7.5' (memoised: a city repeats its few totals)."""

    def __missing__(self, value: int) -> str:
        whole, tenth = divmod(value, 10)
        text = self[value] = f"{whole}.{tenth}" if tenth else str(whole)
        return text


class _Added(dict[Any, date]):
    """A stored created_at (SQLite: its text; PostgreSQL: an aware datetime) → the local
    date the teacher was added (memoised: an import stamps all its rows alike)."""

    def __missing__(self, value: Any) -> date:
        stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        added = self[value] = local(stamp).date()
        return added


def _finish(v: Verification) -> Verification:
    per: dict[str, list[Any]] = {}
    for r in v.rows:
        entry = per.get(r.school_code)
        if entry is None:
            entry = per[r.school_code] = [r.school_name, 0, 0]
        entry[1] += 1
        entry[2] += r.passed
    v.schools = [SchoolRate(code, name, n, ok, _rate(ok, n)) for code, (name, n, ok) in per.items()]
    v.teachers = len(v.rows)
    v.passed = sum(s.passed for s in v.schools)
    v.rate = _rate(v.passed, v.teachers)
    return v


def annual_verification(
    ctx: ServiceContext, *, year: int, school: str | None = None
) -> Verification:
    """年度验证 of `year`: required = annual.required_hours of that year's rules (a teacher
    added during the year: prorated by months in post, rounded up); passed when the total and
    every category minimum are met. No carry-over: only `year`'s ledger counts.

    Raises PermissionDenied (3), NotFound (4: no such school), InputRejected (1: rules file).
    """
    rule = annual_rule(credit_rules(ctx), year)
    rows = _query(ctx, year, year, school)
    label = str(year)
    out = Verification(
        "annual",
        label,
        format_hours(rule.required_hours),
        {
            "public": format_hours(rule.min_public),
            "professional": format_hours(rule.min_professional),
            "elective": format_hours(rule.min_elective),
            "school_based": format_hours(rule.min_school_based),
        },
    )
    append = out.rows.append
    text, added_on = _Tenths(), _Added()
    full = int(rule.required_hours * 10)
    required_by_month: dict[tuple[int, int], int] = {}
    mins = tuple(
        int(m * 10)
        for m in (
            rule.min_public,
            rule.min_professional,
            rule.min_elective,
            rule.min_school_based,
        )
    )
    for ln, name, code, school_name, created, pub, pro, ele, sb, total in rows:
        required = full
        if created is not None:
            added = added_on[created]
            key = (added.year, added.month)
            found = required_by_month.get(key)
            if found is None:
                found = required_by_month[key] = int(annual_required(rule, added) * 10)
            required = found
        pub, pro, ele, sb, total = pub or 0, pro or 0, ele or 0, sb or 0, total or 0
        append(
            VerifiedTeacher(
                ln,
                name,
                code,
                school_name,
                label,
                text[total],
                text[pub],
                text[pro],
                text[ele],
                text[sb],
                text[required],
                total >= required
                and pub >= mins[0]
                and pro >= mins[1]
                and ele >= mins[2]
                and sb >= mins[3],
            )
        )
    return _finish(out)


def cycle_verification(
    ctx: ServiceContext, *, cycle: str, school: str | None = None
) -> Verification:
    """周期验证 of a cycle of the grid ('2021-2025'): the cycle's years of the ledger against
    cycle.required_hours, prorated by years in post (rounded up).

    Raises InvalidValue (1: not a cycle of the grid), PermissionDenied (3), NotFound (4).
    """
    rule = parse_cycle(credit_rules(ctx), cycle)
    rows = _query(ctx, rule.start, rule.end, school)
    out = Verification("cycle", rule.label, format_hours(rule.required_hours), {})
    append = out.rows.append
    text, added_on = _Tenths(), _Added()
    full = int(rule.required_hours * 10)
    required_by_year: dict[int, int] = {}
    for ln, name, code, school_name, created, pub, pro, ele, sb, total in rows:
        required = full
        if created is not None:
            year = added_on[created].year
            found = required_by_year.get(year)
            if found is None:
                found = required_by_year[year] = int(cycle_required(rule, date(year, 1, 1)) * 10)
            required = found
        total = total or 0
        append(
            VerifiedTeacher(
                ln,
                name,
                code,
                school_name,
                rule.label,
                text[total],
                text[pub or 0],
                text[pro or 0],
                text[ele or 0],
                text[sb or 0],
                text[required],
                total >= required,
            )
        )
    return _finish(out)
