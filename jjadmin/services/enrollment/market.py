"""学员个人平台: 课程超市 (courses open to the logged-in teacher, with 5–8 recommendations
from the hours still missing this year, the teacher's subject and stage) and `me hours`
(SPEC §6 Me; seed 课程超市 / 推荐课程).

Read on the DB-API driver (`ctx.raw_reading`, no SQLAlchemy: `me courses` is a page a teacher
waits on): the period's online courses come back as plain rows and the catalogue rule
(`rules.courses.course_visible_to_teacher`) picks the teacher's own, as for one course."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from jjadmin.clock import local
from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.rawdb import RawReader, as_json, as_utc, bind_instant
from jjadmin.rules.codes import parse_period_code
from jjadmin.rules.courses import LIST_SEPARATOR, course_visible_to_teacher
from jjadmin.rules.enums import TrainingLevel, check_in_list
from jjadmin.rules.money import format_hours, format_money
from jjadmin.services.context import Actor, ServiceContext

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


def _me(db: RawReader, actor: Actor) -> _Me:
    if actor.role != "teacher" or actor.teacher_id is None:
        raise PermissionDenied(
            f"当前账号 {actor.label} 不是学员账号", hint="用学号登录：jjadmin login 学号"
        )
    row = db.one_or_none(
        "SELECT t.id, t.learner_no, t.school_id, s.district_code, t.subject, t.stage "
        "FROM teacher t JOIN school s ON s.id = t.school_id WHERE t.id = :t",
        {"t": actor.teacher_id},
    )
    assert row is not None, "the logged-in teacher exists"
    return _Me(int(row[0]), str(row[1]), int(row[2]), str(row[3]), str(row[4]), str(row[5]))


@dataclass(frozen=True)
class _Course:
    """One row of the period's catalogue (what the market shows and the rule reads)."""

    id: int
    period: str
    code: str
    name: str
    level: str
    attribute: str | None
    course_type: str
    hour_type: str
    hours: Decimal
    fee: int
    material_fee: int
    charging_unit: str
    lecturer: str | None
    capacity: int | None
    enrolled: int
    subjects: str | None
    stages: str | None
    ability_category: str | None
    district_code: str | None
    school_id: int | None
    approval: str


_COURSES = """
SELECT id, period, code, name, level, attribute, course_type, hour_type, hours, fee,
       material_fee, charging_unit, lecturer, capacity, enrolled, subjects, stages,
       ability_category, district_code, school_id, approval
FROM course WHERE period = :p AND status = :online ORDER BY code
"""


def _course(r: tuple[Any, ...]) -> _Course:
    return _Course(
        int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), r[5], str(r[6]), str(r[7]),
        Decimal(str(r[8])), int(r[9] or 0), int(r[10] or 0), str(r[11]), r[12],
        None if r[13] is None else int(r[13]), int(r[14] or 0), r[15], r[16], r[17], r[18],
        None if r[19] is None else int(r[19]), str(r[20]),
    )  # fmt: skip


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


def _market_course(c: _Course, selected: bool, reason: str | None = None) -> MarketCourse:
    remaining = None if c.capacity is None else max(c.capacity - c.enrolled, 0)
    return MarketCourse(
        c.period,
        c.code,
        c.name,
        c.level,
        c.attribute,
        c.course_type,
        c.hour_type,
        format_hours(c.hours),
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


def _hours(db: RawReader, me: _Me, year: int) -> HoursSummary:
    required = required_hours(year)
    by_type: dict[str, Decimal] = {}
    for hour_type, hours in db.rows(
        "SELECT hour_type, sum(hours) FROM credit_record WHERE teacher_id = :t AND year = :y "
        "GROUP BY hour_type",
        {"t": me.teacher_id, "y": year},
    ):
        by_type[str(hour_type)] = Decimal(str(hours or 0))
    earned = sum(by_type.values(), Decimal(0))
    # enrolled this year and not yet credited (a passed grade becomes a CreditRecord)
    pending = db.scalar(
        "SELECT coalesce(sum(c.hours), 0) FROM enrollment e JOIN course c ON c.id = e.course_id "
        "WHERE e.teacher_id = :t AND e.state = :active AND e.period LIKE :yy "
        "AND e.id NOT IN (SELECT enrollment_id FROM grade WHERE passed = :passed)",
        {"t": me.teacher_id, "active": ACTIVE, "yy": f"{year % 100:02d}%", "passed": True},
    )
    enrolled = Decimal(str(pending or 0))
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
    with ctx.raw_reading() as db:
        me = _me(db, actor)
        return _hours(db, me, year or local(ctx.now).year)


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


def _in_ability_pilot(db: RawReader, me: _Me, period: str) -> bool:
    config = db.one_or_none(
        "SELECT districts, subjects FROM ability_config WHERE period = :p", {"p": period}
    )
    if config is None:
        return True
    districts, subjects = as_json(config[0]) or [], as_json(config[1]) or []
    return me.district in districts and me.subject in subjects


def _recommend(
    db: RawReader, me: _Me, period: str, candidates: list[_Course], missing: Decimal
) -> list[MarketCourse]:
    """5–8 courses: the best subject/stage matches first, enough hours to cover `missing`."""
    ability_ok = _in_ability_pilot(db, me, period)
    ranked: list[tuple[tuple[Any, ...], _Course, str]] = []
    for c in candidates:
        if c.level not in RECOMMENDABLE:
            continue
        if c.level == TrainingLevel.ABILITY_PROJECT and not ability_ok:
            continue
        subject, stage = _match(c.subjects, me.subject), _match(c.stages, me.stage)
        if subject == 0 or stage == 0:
            continue
        key = (-(subject * 2 + stage), LEVEL_ORDER[c.level], -c.hours, c.code)
        ranked.append((key, c, _reason(subject, stage)))
    ranked.sort(key=lambda item: item[0])
    picked: list[MarketCourse] = []
    covered = Decimal(0)
    for _, c, reason in ranked:
        if len(picked) >= RECOMMEND_MAX or (len(picked) >= RECOMMEND_MIN and covered >= missing):
            break
        picked.append(_market_course(c, False, reason))
        covered += c.hours
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
    with ctx.raw_reading() as db:
        me = _me(db, actor)
        code = parse_period_code(period) if period else _current_period(db, ctx.now)
        if code is None:
            raise NotFound("当前没有可选课的期数", hint="用 --period 指定期数")
        window_row = db.one_or_none(
            "SELECT select_from, select_to FROM period WHERE code = :p", {"p": code}
        )
        if window_row is None:
            raise NotFound(f"期数不存在：{code}", hint="jjadmin period list 查看已有期数")
        opens, closes = as_utc(window_row[0]), as_utc(window_row[1])
        window = opens is not None and closes is not None and opens <= ctx.now <= closes
        selected = {
            int(r[0])
            for r in db.rows(
                "SELECT course_id FROM enrollment WHERE teacher_id = :t AND period = :p "
                "AND state = :active",
                {"t": me.teacher_id, "p": code, "active": ACTIVE},
            )
        }
        open_courses = [
            c
            for c in map(_course, db.rows(_COURSES, {"p": code, "online": ONLINE}))
            if course_visible_to_teacher(c, me.school_id, me.district)
            and (c.capacity is None or c.enrolled < c.capacity or c.id in selected)
        ]
        shown = [
            c
            for c in open_courses
            if (not mine or c.id in selected)
            and (level is None or c.level == level)
            and (hour_type is None or c.hour_type == hour_type)
            and (not words or words in c.name or words.lower() in c.code.lower())
        ]
        hours = _hours(db, me, local(ctx.now).year)
        unselected = [c for c in open_courses if c.id not in selected]
        recommended = _recommend(db, me, code, unselected, Decimal(hours.missing_hours))
    page = shown[offset : offset + limit]
    return Market(
        code,
        [_market_course(c, c.id in selected) for c in page],
        len(shown),
        recommended if window else [],  # nothing to recommend once selection is over
        hours,
        window,
    )


def _current_period(db: RawReader, now: datetime) -> str | None:
    """The period whose selection window contains `now`; else the latest one already begun
    (services.period_lookup.current_period_code, on the DB-API path)."""
    at = bind_instant(db, now)
    inside = db.scalar(
        "SELECT code FROM period WHERE select_from <= :now AND select_to >= :now "
        "ORDER BY select_from DESC LIMIT 1",
        {"now": at},
    )
    if inside is not None:
        return str(inside)
    begun = db.scalar(
        "SELECT code FROM period WHERE select_from <= :now "
        "ORDER BY select_from DESC, code DESC LIMIT 1",
        {"now": at},
    )
    return None if begun is None else str(begun)
