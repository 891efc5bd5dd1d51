"""学员个人平台: 课程超市 (courses open to the logged-in teacher, with 5–8 recommendations
from the hours still missing this year, the teacher's subject and stage) and `me hours`
(SPEC §6 Me; seed 课程超市 / 推荐课程)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.clock import local
from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.models import AbilityConfig, Course, CreditRecord, Enrollment, Grade, School, Teacher
from jjadmin.rules.codes import parse_period_code
from jjadmin.rules.courses import LIST_SEPARATOR
from jjadmin.rules.enums import TrainingLevel, check_in_list
from jjadmin.rules.money import format_hours, format_money
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.courses.visibility import teacher_course_clause
from jjadmin.services.period_lookup import current_period_code, get_period

__all__ = [
    "RECOMMEND_MAX",
    "RECOMMEND_MIN",
    "HoursSummary",
    "Market",
    "MarketCourse",
    "course_market",
    "my_hours",
    "required_hours",
]

RECOMMEND_MIN = 5
RECOMMEND_MAX = 8
ONLINE = "上线"
ACTIVE = "active"
# The 推荐课程 shelf holds city, district and ability-project courses (seed 课程超市);
# 专项 needs an application and 校本 is enrolled by the school.
RECOMMENDABLE = (
    TrainingLevel.CITY_WIDE.value,
    TrainingLevel.DISTRICT.value,
    TrainingLevel.ABILITY_PROJECT.value,
)
LEVEL_ORDER = {level: i for i, level in enumerate(RECOMMENDABLE)}


@cache
def _credit_rules() -> dict[str, Any]:
    text = resources.files("jjadmin").joinpath("data", "credit-rules.toml").read_text("utf-8")
    return tomllib.loads(text)


def required_hours(year: int) -> Decimal:
    """Annual hours required in `year` (data/credit-rules.toml, [years.YYYY] overrides)."""
    rules = _credit_rules()
    annual = dict(rules.get("annual", {}))
    annual.update(rules.get("years", {}).get(str(year), {}).get("annual", {}))
    return Decimal(str(annual.get("required_hours", 72)))


@dataclass(frozen=True)
class _Me:
    teacher_id: int
    learner_no: str
    school_id: int
    district: str
    subject: str
    stage: str


def _me(session: Session, actor: Actor) -> _Me:
    if actor.role != "teacher" or actor.teacher_id is None:
        raise PermissionDenied(
            f"当前账号 {actor.label} 不是学员账号", hint="用学号登录：jjadmin login 学号"
        )
    row = session.execute(
        select(
            col(Teacher.id),
            col(Teacher.learner_no),
            col(Teacher.school_id),
            col(School.district_code),
            col(Teacher.subject),
            col(Teacher.stage),
        )
        .join(School, col(School.id) == col(Teacher.school_id))
        .where(col(Teacher.id) == actor.teacher_id)
    ).one()
    return _Me(row[0] or 0, row[1], row[2], row[3], row[4], row[5])


@dataclass(frozen=True)
class MarketCourse:
    period: str
    course_code: str
    name: str
    training_level: str
    attribute: str | None
    course_type: str
    hour_type: str
    hours: str
    fee: str
    material_fee: str
    charging_unit: str
    lecturer: str | None
    capacity: int | None
    enrolled: int
    remaining: int | None
    subjects: str | None
    stages: str | None
    ability_category: str | None
    selected: bool
    reason: str | None = None
    price: str = "0.00"  # what the teacher pays: 培训费用 + 教材费用 (issue 13)


@dataclass(frozen=True)
class HoursSummary:
    year: int
    required_hours: str
    earned_hours: str
    enrolled_hours: str
    missing_hours: str
    by_type: dict[str, str]


@dataclass(frozen=True)
class Market:
    period: str
    items: list[MarketCourse]
    total: int
    recommended: list[MarketCourse]
    hours: HoursSummary
    selection_open: bool = True  # now inside the period's selection window


def _market_course(c: Course, selected: bool, reason: str | None = None) -> MarketCourse:
    remaining = None if c.capacity is None else max(c.capacity - c.enrolled, 0)
    return MarketCourse(
        c.period,
        c.code,
        c.name,
        c.level,
        c.attribute,
        c.course_type,
        c.hour_type,
        format_hours(Decimal(c.hours)),
        format_money(c.fee),
        format_money(c.material_fee),
        c.charging_unit,
        c.lecturer,
        c.capacity,
        c.enrolled,
        remaining,
        c.subjects,
        c.stages,
        c.ability_category,
        selected,
        reason,
        format_money(c.fee + c.material_fee),
    )


def _hours(session: Session, me: _Me, year: int) -> HoursSummary:
    required = required_hours(year)
    by_type: dict[str, Decimal] = {}
    for hour_type, hours in session.execute(
        select(col(CreditRecord.hour_type), func.sum(col(CreditRecord.hours)))
        .where(col(CreditRecord.teacher_id) == me.teacher_id, col(CreditRecord.year) == year)
        .group_by(col(CreditRecord.hour_type))
    ):
        by_type[hour_type] = Decimal(hours or 0)
    earned = sum(by_type.values(), Decimal(0))
    # enrolled this year and not yet credited (a passed grade becomes a CreditRecord)
    passed = select(col(Grade.enrollment_id)).where(col(Grade.passed).is_(True))
    pending = session.execute(
        select(func.coalesce(func.sum(col(Course.hours)), 0))
        .select_from(Enrollment)
        .join(Course, col(Course.id) == col(Enrollment.course_id))
        .where(
            col(Enrollment.teacher_id) == me.teacher_id,
            col(Enrollment.state) == ACTIVE,
            col(Enrollment.period).startswith(f"{year % 100:02d}"),
            col(Enrollment.id).not_in(passed),
        )
    ).scalar_one()
    enrolled = Decimal(pending or 0)
    missing = max(required - earned - enrolled, Decimal(0))
    return HoursSummary(
        year,
        format_hours(required),
        format_hours(earned),
        format_hours(enrolled),
        format_hours(missing),
        {k: format_hours(v) for k, v in sorted(by_type.items())},
    )


def my_hours(ctx: ServiceContext, *, year: int | None = None) -> HoursSummary:
    """The logged-in teacher's hours of a year: required, earned, enrolled, still missing.

    Raises PermissionDenied (3, not a teacher account).
    """
    actor = ctx.require("teacher", action="查看本人学时")
    with ctx.reading() as session:
        me = _me(session, actor)
        return _hours(session, me, year or local(ctx.now).year)


def _match(listing: str | None, value: str) -> int:
    """2 when the course names the value, 1 when it is for everyone, 0 when it is not."""
    if not listing:
        return 1
    return 2 if value in listing.split(LIST_SEPARATOR) else 0


def _reason(subject: int, stage: int) -> str:
    if subject == 2 and stage == 2:
        return "匹配任教学科和学段"
    if subject == 2:
        return "匹配任教学科"
    if stage == 2:
        return "匹配任教学段"
    return "通用课程"


def _in_ability_pilot(session: Session, me: _Me, period: str) -> bool:
    config = session.get(AbilityConfig, period)
    if config is None:
        return True
    return me.district in (config.districts or []) and me.subject in (config.subjects or [])


def _recommend(
    session: Session, me: _Me, period: str, candidates: list[Course], missing: Decimal
) -> list[MarketCourse]:
    """5–8 courses: the best subject/stage matches first, enough hours to cover `missing`."""
    ability_ok = _in_ability_pilot(session, me, period)
    ranked: list[tuple[tuple[Any, ...], Course, str]] = []
    for c in candidates:
        if c.level not in RECOMMENDABLE:
            continue
        if c.level == TrainingLevel.ABILITY_PROJECT and not ability_ok:
            continue
        subject, stage = _match(c.subjects, me.subject), _match(c.stages, me.stage)
        if subject == 0 or stage == 0:
            continue
        key = (-(subject * 2 + stage), LEVEL_ORDER[c.level], -Decimal(c.hours), c.code)
        ranked.append((key, c, _reason(subject, stage)))
    ranked.sort(key=lambda item: item[0])
    picked: list[MarketCourse] = []
    covered = Decimal(0)
    for _, c, reason in ranked:
        if len(picked) >= RECOMMEND_MAX or (len(picked) >= RECOMMEND_MIN and covered >= missing):
            break
        picked.append(_market_course(c, False, reason))
        covered += Decimal(c.hours)
    return picked


def course_market(
    ctx: ServiceContext,
    *,
    period: str | None = None,
    level: str | None = None,
    hour_type: str | None = None,
    keyword: str | None = None,
    mine: bool = False,
    limit: int = 1000,
    offset: int = 0,
) -> Market:
    """课程超市: online courses of the period open to the logged-in teacher that still have
    seats (or that the teacher selected), filtered; plus 5–8 recommendations.

    Raises InvalidValue (1, bad period/filter), NotFound (4, no period), PermissionDenied (3).
    """
    actor = ctx.require("teacher", action="查看课程超市")
    level = check_in_list("培训级别", level) if level else None
    hour_type = check_in_list("学时类型", hour_type) if hour_type else None
    words = keyword.strip() if keyword else None
    with ctx.reading() as session:
        me = _me(session, actor)
        code = parse_period_code(period) if period else current_period_code(session, ctx.now)
        if code is None:
            raise NotFound("当前没有可选课的期数", hint="用 --period 指定期数")
        selected = set(
            session.execute(
                select(col(Enrollment.course_id)).where(
                    col(Enrollment.teacher_id) == me.teacher_id,
                    col(Enrollment.period) == code,
                    col(Enrollment.state) == ACTIVE,
                )
            ).scalars()
        )
        has_seats = or_(col(Course.capacity).is_(None), col(Course.enrolled) < col(Course.capacity))
        visible = (
            select(Course)
            .where(
                col(Course.period) == code,
                col(Course.status) == ONLINE,
                teacher_course_clause(me.school_id, me.district),
            )
            .order_by(col(Course.code))
        )
        open_courses = list(
            session.execute(
                visible.where(or_(has_seats, col(Course.id).in_(selected or {-1})))
            ).scalars()
        )
        shown = [
            c
            for c in open_courses
            if (not mine or c.id in selected)
            and (level is None or c.level == level)
            and (hour_type is None or c.hour_type == hour_type)
            and (not words or words in c.name or words.lower() in c.code.lower())
        ]
        hours = _hours(session, me, local(ctx.now).year)
        unselected = [c for c in open_courses if c.id not in selected]
        recommended = _recommend(session, me, code, unselected, Decimal(hours.missing_hours))
        page = shown[offset : offset + limit]
        p = get_period(session, code)
        window = p.select_from <= ctx.now <= p.select_to  # type: ignore[operator]
        return Market(
            code,
            [_market_course(c, c.id in selected) for c in page],
            len(shown),
            recommended if window else [],  # nothing to recommend once selection is over
            hours,
            window,
        )
