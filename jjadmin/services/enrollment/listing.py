"""选课查询 on screen (`enroll list`) on the DB-API path: no SQLAlchemy at start-up (issue 13:
a list people wait on answers in ≤ 0.4 s). The file export (`--out`) streams through
`queries.export_enrollments`; both share the filter and the view defined here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from jjadmin.errors import InvalidValue, NotFound
from jjadmin.rawdb import as_bool, as_utc
from jjadmin.rules.codes import normalize_course_code, normalize_learner_no, parse_period_code
from jjadmin.rules.enums import EnrollmentState
from jjadmin.rules.money import format_hours, format_money
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.scope_rules import school_scope_sql

READ_ROLES = ("city", "district", "school", "institution", "system", "teacher")


@dataclass(frozen=True)
class EnrollmentFilter:
    school: str | None = None
    course: str | None = None
    teacher: str | None = None
    state: str | None = None
    paid: bool | None = None


@dataclass(frozen=True)
class EnrollmentView:
    period: str
    learner_no: str
    name: str
    school_code: str
    school_name: str
    district_code: str
    subject: str
    course_code: str
    course_name: str
    training_level: str
    attribute: str | None
    hour_type: str
    hours: str
    fee: str
    material_fee: str
    amount: str
    charging_unit: str
    state: str
    paid: bool
    source: str
    created_at: datetime
    dropped_at: datetime | None


def check_filter(f: EnrollmentFilter) -> EnrollmentFilter:
    states = [s.value for s in EnrollmentState]
    state = f.state.strip() if f.state else None
    if state is not None and state not in states:
        raise InvalidValue(f"选课状态“{state}”无效，应为 {'、'.join(states)}")
    return EnrollmentFilter(
        school=f.school.strip() if f.school else None,
        course=normalize_course_code(f.course) if f.course else None,
        teacher=normalize_learner_no(f.teacher) if f.teacher else None,
        state=state,
        paid=f.paid,
    )


def view(r: Any) -> EnrollmentView:
    """A row of the 21 columns both paths select, as the view."""
    fee, material = int(r[13]), int(r[14])
    return EnrollmentView(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        r[10],
        r[11],
        format_hours(Decimal(str(r[12]))),
        format_money(fee),
        format_money(material),
        format_money(fee + material),
        r[15],
        r[16],
        as_bool(r[17]),
        r[18],
        as_utc(r[19]),  # type: ignore[arg-type]
        as_utc(r[20]),
    )


_COLUMNS = (
    "e.period, t.learner_no, t.name, s.code, s.name, s.district_code, t.subject, c.code,"
    " c.name, c.level, c.attribute, c.hour_type, c.hours, c.fee, c.material_fee,"
    " c.charging_unit, e.state, e.paid, e.source, e.created_at, e.dropped_at"
)
_FROM = (
    " FROM enrollment e JOIN teacher t ON t.id = e.teacher_id"
    " JOIN school s ON s.id = e.school_id JOIN course c ON c.id = e.course_id"
)


def _where(actor: Actor, period: str, f: EnrollmentFilter) -> tuple[str, dict[str, Any]]:
    where = ["e.period = :period"]
    params: dict[str, Any] = {"period": period}
    if actor.role == "institution":
        where.append("c.charging_unit = :inst")
        params["inst"] = actor.institution or ""
    elif actor.role == "teacher" and actor.principal_school_id is None:
        where.append("e.teacher_id = :me")
        params["me"] = actor.teacher_id or -1
    else:
        scope, scope_params = school_scope_sql(actor, "s")
        where.append(f"({scope})")
        params.update(scope_params)
    for column, value, name in (
        ("s.code", f.school, "f_school"),
        ("c.code", f.course, "f_course"),
        ("t.learner_no", f.teacher, "f_teacher"),
        ("e.state", f.state, "f_state"),
    ):
        if value:
            where.append(f"{column} = :{name}")
            params[name] = value
    if f.paid is not None:
        where.append("e.paid = :f_paid")
        params["f_paid"] = bool(f.paid)
    return " AND ".join(where), params


def list_enrollments(
    ctx: ServiceContext,
    *,
    period: str,
    filters: EnrollmentFilter | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[EnrollmentView], int]:
    """选课查询: enrollments of a period in the actor's scope (school, district, the
    institution's courses, a teacher's own), by school, learner number and course.

    Raises InvalidValue (1), NotFound (4, no such period).
    """
    actor = ctx.require(*READ_ROLES, action="查看选课")
    f = check_filter(filters or EnrollmentFilter())
    code = parse_period_code(period)
    with ctx.raw_reading() as db:
        if db.scalar("SELECT 1 FROM period WHERE code = :code", {"code": code}) is None:
            raise NotFound(f"期数不存在：{code}", hint="jjadmin period list 查看已有期数")
        where, params = _where(actor, code, f)
        total = int(db.scalar(f"SELECT count(*){_FROM} WHERE {where}", params) or 0)
        rows = db.rows(
            f"SELECT {_COLUMNS}{_FROM} WHERE {where}"
            " ORDER BY s.code, t.learner_no, c.code LIMIT :lim OFFSET :off",
            {**params, "lim": limit, "off": offset},
        )
    return [view(r) for r in rows], total
