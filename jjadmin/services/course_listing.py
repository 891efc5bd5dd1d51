"""`course list` / `course show` on the DB-API path (no SQLAlchemy at start-up, issue 13).
The visibility rule is courses/visibility.visible_course_clause's, as SQL text; a CLI test
compares both paths for every role (tests/cli/test_daily_use_cli.py)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jjadmin.errors import InvalidValue, NotFound, PermissionDenied
from jjadmin.rawdb import RawReader, in_list, like_contains
from jjadmin.rules.codes import normalize_course_code, parse_period_code
from jjadmin.rules.courses import APPROVALS, OPEN_LEVELS, STATUSES
from jjadmin.rules.enums import TrainingLevel, check_in_list
from jjadmin.rules.money import format_hours, format_money
from jjadmin.services.context import ServiceContext
from jjadmin.services.scope_rules import OUT_OF_SCOPE

ANY_ROLE = ("city", "district", "school", "institution", "system", "teacher")
DISTRICT_LEVEL = TrainingLevel.DISTRICT.value
SCHOOL_LEVEL = TrainingLevel.SCHOOL_BASED.value


@dataclass(frozen=True)
class CourseView:
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
    lecturer: str | None
    declarer: str | None
    charging_unit: str
    audience: str | None
    capacity: int | None
    enrolled: int
    status: str
    district_code: str | None
    school_code: str | None
    ability_category: str | None
    stages: str | None
    subjects: str | None
    approval: str
    approval_reason: str | None
    ability_dimension: str | None = None


@dataclass(frozen=True)
class CourseFilter:
    level: str | None = None
    hour_type: str | None = None
    subject: str | None = None
    stage: str | None = None
    status: str | None = None
    school: str | None = None
    approval: str | None = None
    code: str | None = None


def check_filter(f: CourseFilter) -> CourseFilter:
    """Validated filter values. Raises InvalidValue (1)."""
    status = f.status.strip() if f.status else None
    if status is not None and status not in STATUSES:
        raise InvalidValue(f"状态“{status}”无效，应为“上线”或“下线”")
    approval = f.approval.strip() if f.approval else None
    if approval is not None and approval not in APPROVALS:
        raise InvalidValue(f"审核状态“{approval}”无效，应为 {'、'.join(APPROVALS)}")
    return CourseFilter(
        level=check_in_list("培训级别", f.level) if f.level else None,
        hour_type=check_in_list("学时类型", f.hour_type) if f.hour_type else None,
        subject=check_in_list("任教学科", f.subject) if f.subject else None,
        stage=check_in_list("任教学段", f.stage) if f.stage else None,
        status=status,
        school=f.school.strip() if f.school else None,
        approval=approval,
        code=f.code.strip() if f.code else None,
    )


_COLUMNS = (
    "c.period, c.code, c.name, c.level, c.attribute, c.course_type, c.hour_type, c.hours,"
    " c.fee, c.material_fee, c.lecturer, c.declarer, c.charging_unit, c.audience, c.capacity,"
    " c.enrolled, c.status, c.district_code, s.code, c.ability_category, c.stages, c.subjects,"
    " c.approval, c.approval_reason, c.ability_dimension"
)
_FROM = " FROM course c LEFT JOIN school s ON s.id = c.school_id"


def _view(r: Any) -> CourseView:
    return CourseView(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        format_hours(Decimal(str(r[7]))),
        format_money(int(r[8])),
        format_money(int(r[9])),
        r[10],
        r[11],
        r[12],
        r[13],
        None if r[14] is None else int(r[14]),
        int(r[15]),
        r[16],
        r[17],
        r[18],
        r[19],
        r[20],
        r[21],
        r[22],
        r[23],
        r[24],
    )


def visible_sql(db: RawReader, actor: Any, params: dict[str, Any]) -> str:
    """visible_course_clause as SQL text on `course c`."""
    if actor.role in ("city", "system", "institution"):
        return "1 = 1"
    open_levels = f"c.level IN {in_list('v_open', OPEN_LEVELS, params)}"
    params.update({"v_district_level": DISTRICT_LEVEL, "v_school_level": SCHOOL_LEVEL})
    if actor.role == "district":
        if actor.district_code is None:
            return "1 = 0"
        params["v_district"] = actor.district_code
        return (
            f"({open_levels} OR (c.level = :v_district_level AND c.district_code = :v_district)"
            " OR (c.level = :v_school_level AND c.school_id IN"
            " (SELECT vs.id FROM school vs WHERE vs.district_code = :v_district)))"
        )
    school_id = actor.acting_school_id
    if school_id is not None:
        params["v_school"] = school_id
        params["v_district"] = _district_of(db, school_id)
        return (
            f"({open_levels} OR (c.level = :v_district_level AND c.district_code = :v_district)"
            " OR (c.level = :v_school_level AND c.school_id = :v_school))"
        )
    if actor.role == "teacher" and actor.teacher_id is not None:
        school = db.scalar("SELECT school_id FROM teacher WHERE id = :id", {"id": actor.teacher_id})
        parts = [open_levels]
        district = _district_of(db, school)
        if district is not None:
            params["v_district"] = district
            parts.append("(c.level = :v_district_level AND c.district_code = :v_district)")
        if school is not None:
            params["v_school"] = int(school)
            params["v_approved"] = "approved"
            parts.append(
                "(c.level = :v_school_level AND c.school_id = :v_school"
                " AND c.approval = :v_approved)"
            )
        return "(" + " OR ".join(parts) + ")"
    return "1 = 0"


def _district_of(db: RawReader, school_id: Any) -> str | None:
    if school_id is None:
        return None
    value = db.scalar("SELECT district_code FROM school WHERE id = :id", {"id": int(school_id)})
    return None if value is None else str(value)


def _period(db: RawReader, period: str) -> str:
    code = parse_period_code(period)
    if db.scalar("SELECT 1 FROM period WHERE code = :code", {"code": code}) is None:
        raise NotFound(f"期数不存在：{code}", hint="jjadmin period list 查看已有期数")
    return code


def _contains(column: str, name: str, value: str, params: dict[str, Any]) -> str:
    """'、'-joined list `column` holds `value` as a whole element."""
    params.update({name: value, f"{name}_a": f"{value}、%", f"{name}_b": f"%、{value}"})
    params[f"{name}_c"] = f"%、{value}、%"
    return (
        f"({column} = :{name} OR {column} LIKE :{name}_a OR {column} LIKE :{name}_b"
        f" OR {column} LIKE :{name}_c)"
    )


def list_courses(
    ctx: ServiceContext,
    *,
    period: str,
    filters: CourseFilter | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[CourseView], int]:
    """Courses of a period the actor may see, by course code.

    Raises InvalidValue (1, a malformed period or filter value), NotFound (4, no such period).
    """
    actor = ctx.require(*ANY_ROLE, action="查看课程")
    f = check_filter(filters or CourseFilter())
    with ctx.raw_reading() as db:
        code = _period(db, period)
        params: dict[str, Any] = {"period": code}
        where = ["c.period = :period", visible_sql(db, actor, params)]
        for column, value, name in (
            ("c.level", f.level, "f_level"),
            ("c.hour_type", f.hour_type, "f_hour_type"),
            ("c.status", f.status, "f_status"),
            ("s.code", f.school, "f_school"),
            ("c.approval", f.approval, "f_approval"),
        ):
            if value:
                where.append(f"{column} = :{name}")
                params[name] = value
        if f.subject:
            where.append(_contains("c.subjects", "f_subject", f.subject, params))
        if f.stage:
            where.append(_contains("c.stages", "f_stage", f.stage, params))
        if f.code:
            where.append("c.code LIKE :f_code ESCAPE '/'")
            params["f_code"] = like_contains(f.code)
        clause = " AND ".join(where)
        total = int(db.scalar(f"SELECT count(*){_FROM} WHERE {clause}", params) or 0)
        rows = db.rows(
            f"SELECT {_COLUMNS}{_FROM} WHERE {clause} ORDER BY c.code LIMIT :lim OFFSET :off",
            {**params, "lim": limit, "off": offset},
        )
    return [_view(r) for r in rows], total


def show_course(ctx: ServiceContext, *, period: str, code: str) -> CourseView:
    """One course.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3, not visible to the actor).
    """
    actor = ctx.require(*ANY_ROLE, action="查看课程")
    with ctx.raw_reading() as db:
        p = _period(db, period)
        course_code = normalize_course_code(code)
        params: dict[str, Any] = {"period": p, "code": course_code}
        row = db.one_or_none(
            f"SELECT {_COLUMNS}{_FROM} WHERE c.period = :period AND c.code = :code", params
        )
        if row is None:
            raise NotFound(
                f"课程不存在：{p} 期 {course_code}",
                hint=f"jjadmin course list --period {p} 查看本期课程",
            )
        visible = visible_sql(db, actor, params)
        seen = db.scalar(
            f"SELECT 1 FROM course c WHERE c.period = :period AND c.code = :code AND {visible}",
            params,
        )
        if seen is None:
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看本单位可见的课程")
    return _view(row)
