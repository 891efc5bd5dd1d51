"""年度验证 (`credits annual --year`) and 周期验证 (`credits cycle --cycle`): every 在职 teacher
of the actor's scope, hours by type from the ledger against data/credit-rules.toml.

One set-based query: the ledger of the year (or the cycle's years) summed per teacher and
hour type in the database (GROUP BY over the covering (year, teacher_id, hour_type, hours)
index), joined to the teachers and their schools; Python then only prorates and compares.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select

from jjadmin.clock import TZ, local
from jjadmin.errors import InputRejected
from jjadmin.models import metadata
from jjadmin.rules.credits import (
    SCHOOL_BASED,
    annual_passed,
    annual_required,
    annual_rule,
    cycle_required,
    parse_cycle,
)
from jjadmin.rules.money import format_hours
from jjadmin.services.context import ServiceContext
from jjadmin.services.scope import get_school, school_clause

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


def _query(ctx: ServiceContext, first: int, last: int, school: str | None) -> list[Any]:
    """(学号, 姓名, 学校代码, 学校名称, created_at, public, professional, elective, school-based,
    total) per 在职 teacher in scope added before `last` ended."""
    actor = ctx.require(*VERIFIERS, action="学时验证")
    tables = metadata.tables
    cr, t, s = tables["credit_record"], tables["teacher"], tables["school"]

    def of(hour_type: str) -> Any:
        return func.sum(case((cr.c.hour_type == hour_type, cr.c.hours), else_=0))

    year_filter = cr.c.year == first if first == last else cr.c.year.between(first, last)
    agg = (
        select(
            cr.c.teacher_id,
            of("公需科目").label("public"),
            of("专业科目").label("professional"),
            of("个人选修").label("elective"),
            func.sum(case((cr.c.training_level == SCHOOL_BASED, cr.c.hours), else_=0)).label(
                "school_based"
            ),
            func.sum(cr.c.hours).label("total"),
        )
        .where(year_filter)
        .group_by(cr.c.teacher_id)
        .subquery()
    )
    end = datetime(last + 1, 1, 1, tzinfo=TZ)  # added before the period ended
    where = [t.c.status == ACTIVE, t.c.created_at < end, school_clause(actor, s.c)]
    with ctx.reading() as session:
        if school is not None:
            found = get_school(session, actor, school)
            where.append(s.c.id == found.id)
        return list(
            session.execute(
                select(
                    t.c.learner_no,
                    t.c.name,
                    s.c.code,
                    s.c.name,
                    t.c.created_at,
                    agg.c.public,
                    agg.c.professional,
                    agg.c.elective,
                    agg.c.school_based,
                    agg.c.total,
                )
                .select_from(
                    t.join(s, s.c.id == t.c.school_id).outerjoin(agg, agg.c.teacher_id == t.c.id)
                )
                .where(*where)
                .order_by(s.c.code, t.c.learner_no)
            )
        )


def _dec(value: Any) -> Decimal:
    return _ZERO if value is None else Decimal(value)


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
    required_by_month: dict[tuple[int, int], Decimal] = {}
    for ln, name, code, school_name, created, pub, pro, ele, sb, total in rows:
        added = local(created).date()
        key = (added.year, added.month)
        required = required_by_month.get(key)
        if required is None:
            required = required_by_month[key] = annual_required(rule, added)
        pub, pro, ele, sb, total = _dec(pub), _dec(pro), _dec(ele), _dec(sb), _dec(total)
        append(
            VerifiedTeacher(
                ln,
                name,
                code,
                school_name,
                label,
                format_hours(total),
                format_hours(pub),
                format_hours(pro),
                format_hours(ele),
                format_hours(sb),
                format_hours(required),
                annual_passed(rule, required, total, pub, pro, ele, sb),
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
    required_by_year: dict[int, Decimal] = {}
    for ln, name, code, school_name, created, pub, pro, ele, sb, total in rows:
        added_year = local(created).year
        required = required_by_year.get(added_year)
        if required is None:
            required = required_by_year[added_year] = cycle_required(rule, date(added_year, 1, 1))
        total = _dec(total)
        append(
            VerifiedTeacher(
                ln,
                name,
                code,
                school_name,
                rule.label,
                format_hours(total),
                format_hours(_dec(pub)),
                format_hours(_dec(pro)),
                format_hours(_dec(ele)),
                format_hours(_dec(sb)),
                format_hours(required),
                total >= required,
            )
        )
    return _finish(out)
