"""课程管理: import, list, show, export; school-based declaration and review (SPEC §5, §6)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import Conflict, InputRejected, InvalidValue, NotFound, PermissionDenied
from jjadmin.models import Course, District, Period, School, Teacher
from jjadmin.rules.codes import normalize_course_code, parse_period_code
from jjadmin.rules.courses import (
    APPROVAL_LABELS,
    APPROVALS,
    APPROVED,
    OPEN_LEVELS,
    PENDING,
    REJECTED,
    STATUSES,
    check_text,
    course_visible_to_teacher,
    parse_capacity,
    parse_value_set,
)
from jjadmin.rules.enums import TrainingLevel, check_in_list
from jjadmin.rules.money import format_hours, format_money, parse_hours, parse_money
from jjadmin.rules.windows import declaration_deadline, declarations_open
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.imports import BatchWriter, ImportOptions, run_import
from jjadmin.services.period_lookup import current_period_code, get_period
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike
from jjadmin.services.scope import OUT_OF_SCOPE

__all__ = [
    "CourseView",
    "approve_course",
    "course_view",
    "declare_course",
    "export_rows",
    "get_course",
    "get_visible_course",
    "import_courses",
    "list_courses",
    "reject_course",
    "show_course",
    "teacher_course_clause",
    "visible_course_clause",
]

DISTRICT_LEVEL = TrainingLevel.DISTRICT.value
SCHOOL_LEVEL = TrainingLevel.SCHOOL_BASED.value
ABILITY_LEVEL = TrainingLevel.ABILITY_PROJECT.value
CHUNK = 500
ANY_ROLE = ("city", "district", "institution", "school", "teacher", "system")

# Optional columns: absent from the file → the stored value stays; blank cell → cleared.
OPTIONAL_KEYS = (
    "attribute",
    "material_fee",
    "lecturer",
    "declarer",
    "audience",
    "capacity",
    "stages",
    "subjects",
)
# Every column an import compares with the stored course (model attribute names).
COMPARED = (
    "name",
    "level",
    "attribute",
    "course_type",
    "hour_type",
    "hours",
    "fee",
    "material_fee",
    "lecturer",
    "declarer",
    "charging_unit",
    "audience",
    "capacity",
    "status",
    "district_code",
    "school_id",
    "ability_category",
    "stages",
    "subjects",
)
HEADERS = {
    "period": "期数",
    "course_code": "课程编号",
    "name": "课程名称",
    "training_level": "培训级别",
    "attribute": "课程属性",
    "course_type": "课程类型",
    "hour_type": "学时类型",
    "hours": "学时",
    "fee": "培训费用",
    "material_fee": "教材费用",
    "lecturer": "主讲教师",
    "declarer": "申报单位",
    "charging_unit": "收费单位",
    "audience": "培训对象",
    "capacity": "容量",
    "status": "状态",
    "district_code": "所属区代码",
    "school_code": "学校代码",
    "ability_category": "提升工程类别",
    "stages": "适用学段",
    "subjects": "适用学科",
}


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


def course_view(c: Course, school_code: str | None) -> CourseView:
    """The detached, JSON-ready view of a course (money and hours as decimal strings)."""
    return CourseView(
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
        c.lecturer,
        c.declarer,
        c.charging_unit,
        c.audience,
        c.capacity,
        c.enrolled,
        c.status,
        c.district_code,
        school_code,
        c.ability_category,
        c.stages,
        c.subjects,
        c.approval,
        c.approval_reason,
    )


# ---------------------------------------------------------------------------------------------
# visibility


def teacher_course_clause(
    teacher_school_id: int | None, teacher_district: str | None
) -> ColumnElement[bool]:
    """SQL twin of rules.courses.course_visible_to_teacher: 全员/专项/提升工程 for everyone,
    区级 of the teacher's district, approved 校本 of the teacher's school."""
    parts: list[ColumnElement[bool]] = [col(Course.level).in_(OPEN_LEVELS)]
    if teacher_district is not None:
        parts.append(
            and_(col(Course.level) == DISTRICT_LEVEL, col(Course.district_code) == teacher_district)
        )
    if teacher_school_id is not None:
        parts.append(
            and_(
                col(Course.level) == SCHOOL_LEVEL,
                col(Course.school_id) == teacher_school_id,
                col(Course.approval) == APPROVED,
            )
        )
    return or_(*parts)


def _school_district(session: Session, school_id: int | None) -> str | None:
    if school_id is None:
        return None
    return session.execute(
        select(col(School.district_code)).where(col(School.id) == school_id)
    ).scalar_one_or_none()


def visible_course_clause(session: Session, actor: Actor) -> ColumnElement[bool]:
    """Courses an actor may see: city/system/institution all; a district the open levels plus
    its 区级 and its schools' 校本 (any approval); a school admin the open levels plus its
    district's 区级 and its own 校本 (any approval); a teacher what the teacher rule allows."""
    if actor.role in ("city", "system", "institution"):
        return true()
    if actor.role == "district":
        if actor.district_code is None:
            return false()
        schools = select(col(School.id)).where(col(School.district_code) == actor.district_code)
        return or_(
            col(Course.level).in_(OPEN_LEVELS),
            and_(
                col(Course.level) == DISTRICT_LEVEL,
                col(Course.district_code) == actor.district_code,
            ),
            and_(col(Course.level) == SCHOOL_LEVEL, col(Course.school_id).in_(schools)),
        )
    school_id = actor.acting_school_id
    if school_id is not None:
        district = _school_district(session, school_id)
        return or_(
            col(Course.level).in_(OPEN_LEVELS),
            and_(col(Course.level) == DISTRICT_LEVEL, col(Course.district_code) == district),
            and_(col(Course.level) == SCHOOL_LEVEL, col(Course.school_id) == school_id),
        )
    if actor.role == "teacher" and actor.teacher_id is not None:
        teacher_school = session.execute(
            select(col(Teacher.school_id)).where(col(Teacher.id) == actor.teacher_id)
        ).scalar_one_or_none()
        return teacher_course_clause(teacher_school, _school_district(session, teacher_school))
    return false()


def _visible(session: Session, actor: Actor, course: Course) -> bool:
    if actor.role in ("city", "system", "institution"):
        return True
    if course.level in OPEN_LEVELS:
        return True
    if actor.role == "district":
        if course.level == DISTRICT_LEVEL:
            return course.district_code == actor.district_code
        return _school_district(session, course.school_id) == actor.district_code
    school_id = actor.acting_school_id
    if school_id is not None:
        if course.level == SCHOOL_LEVEL:
            return course.school_id == school_id
        return course.district_code == _school_district(session, school_id)
    if actor.role == "teacher" and actor.teacher_id is not None:
        teacher_school = session.execute(
            select(col(Teacher.school_id)).where(col(Teacher.id) == actor.teacher_id)
        ).scalar_one_or_none()
        return course_visible_to_teacher(
            course, teacher_school, _school_district(session, teacher_school)
        )
    return False


def get_course(session: Session, period: str, code: str, *, for_update: bool = False) -> Course:
    """The course `code` of `period` (no scope check; see get_visible_course).

    Raises InvalidValue (1, malformed period or code), NotFound (4).
    """
    period = parse_period_code(period)
    code = normalize_course_code(code)
    stmt = select(Course).where(col(Course.period) == period, col(Course.code) == code)
    if for_update:
        stmt = stmt.with_for_update()
    course = session.execute(stmt).scalar_one_or_none()
    if course is None:
        raise NotFound(
            f"课程不存在：{period} 期 {code}",
            hint=f"jjadmin course list --period {period} 查看本期课程",
        )
    return course


def get_visible_course(
    session: Session, actor: Actor, period: str, code: str, *, for_update: bool = False
) -> Course:
    """The course if the actor may see it.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3, another district's or
    school's course; nothing about it leaks).
    """
    course = get_course(session, period, code, for_update=for_update)
    if not _visible(session, actor, course):
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看本单位可见的课程")
    return course


def _school_code(session: Session, school_id: int | None) -> str | None:
    if school_id is None:
        return None
    return session.execute(select(col(School.code)).where(col(School.id) == school_id)).scalar_one()


# ---------------------------------------------------------------------------------------------
# import


def _issue(row: int, key: str, value: Any, message: str, code: str) -> RowIssue:
    text = None if value is None else str(value)
    return RowIssue(row, HEADERS[key], text, message, code, "state")


def _import_unit(actor: Actor) -> str:
    if actor.role == "district":
        return f"district:{actor.district_code}"
    if actor.role == "institution":
        return f"institution:{actor.institution}"
    return "city"


@dataclass
class _Lookups:
    periods: set[str]
    districts: set[str]
    schools: dict[str, School]
    schools_by_id: dict[int, School]
    existing: dict[tuple[str, str], Course]


def _load(session: Session, rows: Sequence[RowLike]) -> _Lookups:
    """Everything the rows refer to, in a few set-based queries (IN lists of ≤ 500)."""
    period_codes = sorted({str(r.values["period"]) for r in rows if r.values.get("period")})
    periods: set[str] = set()
    if period_codes:
        periods = set(
            session.execute(
                select(col(Period.code)).where(col(Period.code).in_(period_codes))
            ).scalars()
        )
    districts = set(session.execute(select(col(District.code))).scalars())
    school_codes = sorted(
        {str(r.values["school_code"]) for r in rows if r.values.get("school_code")}
    )
    schools: dict[str, School] = {}
    for i in range(0, len(school_codes), CHUNK):
        chunk = school_codes[i : i + CHUNK]
        for s in session.execute(select(School).where(col(School.code).in_(chunk))).scalars():
            schools[s.code] = s
    course_codes = sorted(
        {str(r.values["course_code"]) for r in rows if r.values.get("course_code")}
    )
    existing: dict[tuple[str, str], Course] = {}
    if periods:
        for i in range(0, len(course_codes), CHUNK):
            chunk = course_codes[i : i + CHUNK]
            found = session.execute(
                select(Course).where(
                    col(Course.period).in_(periods),
                    col(Course.code).in_(chunk),
                )
            ).scalars()
            for c in found:
                existing[(c.period, c.code)] = c
    by_id = {s.id: s for s in schools.values() if s.id is not None}
    missing = sorted({c.school_id for c in existing.values() if c.school_id} - set(by_id))
    for i in range(0, len(missing), CHUNK):
        chunk_ids = missing[i : i + CHUNK]
        for s in session.execute(select(School).where(col(School.id).in_(chunk_ids))).scalars():
            by_id[s.id or 0] = s
    return _Lookups(periods, districts, schools, by_id, existing)


def _importable(
    actor: Actor, level: str, district: str | None, school: School | None, charging_unit: str
) -> bool:
    """May `actor` import (create or change) a course with these facts?"""
    if actor.role in ("city", "system"):
        return True
    if actor.role == "district":
        if level == DISTRICT_LEVEL:
            return district == actor.district_code
        if level == SCHOOL_LEVEL:
            return school is not None and school.district_code == actor.district_code
        return False
    if actor.role == "institution":
        return level != SCHOOL_LEVEL and charging_unit == actor.institution
    return False


def _scope_message(actor: Actor) -> str:
    if actor.role == "district":
        return "区级管理员只能导入本区的区级培训课程和本区学校的校本培训课程"
    return f"培训机构只能导入收费单位为本机构（{actor.institution}）的课程（校本培训除外）"


def _level_checks(
    r: RowLike, level: str, lookups: _Lookups
) -> tuple[list[RowIssue], str | None, School | None, str | None]:
    """Cross-column rules of a level: (issues, district_code, school, ability_category).

    Columns that already failed to parse are not judged again.
    """
    v = r.values
    bad = {i.column for i in r.issues}
    issues: list[RowIssue] = []
    district: str | None = None
    school: School | None = None
    category: str | None = None
    if level == DISTRICT_LEVEL and HEADERS["district_code"] not in bad:
        given = v.get("district_code")
        if given is None:
            msg = "区级培训课程必须填写所属区代码"
            issues.append(_issue(r.row, "district_code", None, msg, "required"))
        elif given not in lookups.districts:
            msg = f"区代码不存在：{given}"
            issues.append(_issue(r.row, "district_code", given, msg, "district-unknown"))
        else:
            district = str(given)
    elif level == SCHOOL_LEVEL and HEADERS["school_code"] not in bad:
        code = v.get("school_code")
        school = lookups.schools.get(str(code)) if code is not None else None
        given = v.get("district_code")
        if code is None:
            msg = "校本培训课程必须填写学校代码"
            issues.append(_issue(r.row, "school_code", None, msg, "required"))
        elif school is None:
            msg = f"学校不存在：{code}"
            issues.append(_issue(r.row, "school_code", code, msg, "school-unknown"))
        elif given is not None and given != school.district_code:
            msg = f"所属区代码与学校 {school.code} 所在区（{school.district_code}）不一致"
            issues.append(_issue(r.row, "district_code", given, msg, "district-mismatch"))
        else:
            district = school.district_code
    elif level == ABILITY_LEVEL and HEADERS["ability_category"] not in bad:
        category = v.get("ability_category")
        if category is None:
            msg = "提升工程课程必须填写提升工程类别"
            issues.append(_issue(r.row, "ability_category", None, msg, "required"))
    return issues, district, school, category


def _target(
    r: RowLike, lookups: _Lookups, actor: Actor, report: ImportReport
) -> dict[str, Any] | None:
    """The course attributes a row stands for, or None after adding its issues."""
    v = r.values
    if v.get("training_level") is None:
        return None
    level = str(v["training_level"])
    issues, district, school, category = _level_checks(r, level, lookups)
    report.issues.extend(issues)
    if issues or r.issues:
        return None
    if not _importable(actor, level, district, school, str(v["charging_unit"])):
        report.add(_issue(r.row, "training_level", level, _scope_message(actor), "out-of-scope"))
        return None
    target: dict[str, Any] = {
        "period": v["period"],
        "code": v["course_code"],
        "name": v["name"],
        "level": level,
        "course_type": v["course_type"],
        "hour_type": v["hour_type"],
        "hours": v["hours"],
        "fee": v["fee"],
        "charging_unit": v["charging_unit"],
        "district_code": district,
        "school_id": school.id if school is not None else None,
        "ability_category": category,
    }
    for key in OPTIONAL_KEYS:
        if key in v:
            target[key] = 0 if key == "material_fee" and v[key] is None else v[key]
    if v.get("status") is not None:
        target["status"] = v["status"]
    return target


def _check_existing(
    r: RowLike, target: dict[str, Any], old: Course, lookups: _Lookups, actor: Actor
) -> RowIssue | None:
    old_school = lookups.schools_by_id.get(old.school_id) if old.school_id else None
    if not _importable(actor, old.level, old.district_code, old_school, old.charging_unit):
        msg = f"本期已有课程 {old.code}，且不属于本单位，无权修改"
        return _issue(r.row, "course_code", old.code, msg, "out-of-scope")
    capacity = target.get("capacity", old.capacity)
    if capacity is not None and capacity < old.enrolled:
        msg = f"容量不能小于已选人数 {old.enrolled}"
        return _issue(r.row, "capacity", capacity, msg, "capacity-below-enrolled")
    return None


def import_courses(
    ctx: ServiceContext,
    *,
    rows: Sequence[RowLike],
    pre_issues: Sequence[RowIssue],
    file: FileMeta,
    options: ImportOptions,
    notes: Sequence[str] = (),
    present: frozenset[str] = frozenset(),
) -> ImportReport:
    """Create or update courses from a 课程 sheet.

    City: every level; district: its 区级 courses and its schools' 校本 courses; institution:
    courses whose 收费单位 is the institution (not 校本). An existing course of the period is
    updated when a value changed, else skipped (re-importing a file changes nothing).
    Raises PermissionDenied (3), Conflict (5, another import of the unit is running).
    """
    actor = ctx.require("city", "district", "institution", action="导入课程")
    targets: dict[int, dict[str, Any]] = {}
    state: dict[str, _Lookups] = {}

    def validate(
        session: Session, actor: Actor, rows: Sequence[RowLike], report: ImportReport
    ) -> None:
        lookups = _load(session, rows)
        state["lookups"] = lookups
        first_row: dict[tuple[str, str], int] = {}
        for r in rows:
            v = r.values
            if v.get("period") is None or v.get("course_code") is None:
                continue
            key = (str(v["period"]), str(v["course_code"]))
            first = first_row.setdefault(key, r.row)
            if first != r.row:
                report.add(
                    _issue(
                        r.row,
                        "course_code",
                        key[1],
                        f"与第 {first} 行重复（同一期数内课程编号必须唯一）",
                        "duplicate-in-file",
                    )
                )
                continue
            if key[0] not in lookups.periods:
                msg = f"期数不存在：{key[0]}（先用 jjadmin period create 创建）"
                report.add(_issue(r.row, "period", key[0], msg, "period-unknown"))
            target = _target(r, lookups, actor, report)
            if target is None or key[0] not in lookups.periods:
                continue
            old = lookups.existing.get(key)
            problem = None if old is None else _check_existing(r, target, old, lookups, actor)
            if problem is not None:
                report.add(problem)
                continue
            targets[r.row] = target

    def apply(
        session: Session,
        actor: Actor,
        rows: Sequence[RowLike],
        report: ImportReport,
        writer: BatchWriter,
    ) -> None:
        existing = state["lookups"].existing
        new_rows: list[dict[str, Any]] = []
        for r in rows:
            target = targets[r.row]
            old = existing.get((target["period"], target["code"]))
            if old is None:
                values = {
                    "attribute": None,
                    "material_fee": 0,
                    "lecturer": None,
                    "declarer": None,
                    "audience": None,
                    "capacity": None,
                    "stages": None,
                    "subjects": None,
                    "status": "上线",
                    **target,
                    "enrolled": 0,
                    "approval": APPROVED,
                    "version": 1,
                    "created_batch_id": writer.batch_id,
                    "created_at": ctx.now,
                    "updated_at": ctx.now,
                }
                new_rows.append(values)
                continue
            before = {k: getattr(old, k) for k in COMPARED}
            changes = {k: target[k] for k in COMPARED if k in target and before[k] != target[k]}
            if not changes:
                report.skipped += 1
                continue
            version = old.version + 1
            session.execute(
                update(Course)
                .where(col(Course.id) == old.id)
                .values(**changes, updated_at=ctx.now, version=version)
            )
            writer.changed("course", old.id or 0, {k: before[k] for k in changes}, changes, version)
            report.updated += 1
        for i in range(0, len(new_rows), CHUNK):
            session.execute(insert(Course), new_rows[i : i + CHUNK])
        report.created += len(new_rows)

    return run_import(
        ctx,
        kind="course",
        unit=_import_unit(actor),
        file=file,
        rows=rows,
        pre_issues=pre_issues,
        options=options,
        validate=validate,
        apply=apply,
        actor=actor,
        notes=notes,
    )


# ---------------------------------------------------------------------------------------------
# list, show, export


def _contains(column: Any, value: str) -> ColumnElement[bool]:
    """'、'-joined list `column` contains `value` as a whole element."""
    return or_(
        column == value,
        column.like(f"{value}、%"),
        column.like(f"%、{value}"),
        column.like(f"%、{value}、%"),
    )


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


def _check_filter(f: CourseFilter) -> CourseFilter:
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


def _list_stmt(session: Session, actor: Actor, period: str, f: CourseFilter) -> Any:
    stmt = (
        select(Course, col(School.code))
        .outerjoin(School, col(School.id) == col(Course.school_id))
        .where(col(Course.period) == period, visible_course_clause(session, actor))
    )
    if f.level:
        stmt = stmt.where(col(Course.level) == f.level)
    if f.hour_type:
        stmt = stmt.where(col(Course.hour_type) == f.hour_type)
    if f.subject:
        stmt = stmt.where(_contains(col(Course.subjects), f.subject))
    if f.stage:
        stmt = stmt.where(_contains(col(Course.stages), f.stage))
    if f.status:
        stmt = stmt.where(col(Course.status) == f.status)
    if f.school:
        stmt = stmt.where(col(School.code) == f.school)
    if f.approval:
        stmt = stmt.where(col(Course.approval) == f.approval)
    if f.code:
        stmt = stmt.where(col(Course.code).contains(f.code, autoescape=True))
    return stmt


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
    f = _check_filter(filters or CourseFilter())
    with ctx.reading() as session:
        p = get_period(session, period)
        stmt = _list_stmt(session, actor, p.code, f)
        total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        page = session.execute(stmt.order_by(col(Course.code)).limit(limit).offset(offset)).all()
        return [course_view(c, sc) for c, sc in page], int(total)


def show_course(ctx: ServiceContext, *, period: str, code: str) -> CourseView:
    """One course.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3, not visible to the actor).
    """
    actor = ctx.require(*ANY_ROLE, action="查看课程")
    with ctx.reading() as session:
        get_period(session, period)
        course = get_visible_course(session, actor, period, code)
        return course_view(course, _school_code(session, course.school_id))


def export_rows(
    ctx: ServiceContext, *, period: str, filters: CourseFilter | None = None
) -> list[dict[str, Any]]:
    """Rows for `course export`: the 课程 template's columns (re-importable) plus enrollment
    count and approval; keys are CourseView fields."""
    views, _ = list_courses(ctx, period=period, filters=filters, limit=10**9)
    rows = []
    for v in views:
        row = {f.name: getattr(v, f.name) for f in fields(v)}
        row["hours"] = Decimal(v.hours)
        row["fee"] = Decimal(v.fee)
        row["material_fee"] = Decimal(v.material_fee)
        row["approval"] = APPROVAL_LABELS.get(v.approval, v.approval)
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------
# school-based courses: declare, approve, reject


@dataclass(frozen=True)
class Declaration:
    """What a school declares for a 校本培训 course (`course declare`)."""

    code: str
    name: str
    hours: str | Decimal | int
    hour_type: str
    course_type: str
    fee: str | Decimal | int = 0
    material_fee: str | Decimal | int = 0
    attribute: str | None = None
    lecturer: str | None = None
    audience: str | None = None
    capacity: str | int | None = None
    stages: str | None = None
    subjects: str | None = None


def _clean_declaration(d: Declaration) -> dict[str, Any]:
    """Validated course attributes. Raises InvalidValue (1)."""

    def labelled(label: str, fn: Any, value: Any) -> Any:
        try:
            return fn(value)
        except InvalidValue as exc:
            raise InvalidValue(f"{label}：{exc.message}", code=exc.code) from None

    hours = labelled("学时", parse_hours, d.hours)
    if hours <= 0:
        raise InvalidValue("学时必须大于 0", code="hours-invalid")
    return {
        "code": normalize_course_code(d.code),
        "name": check_text(d.name, label="课程名称", max_length=200, required=True),
        "hours": hours,
        "hour_type": check_in_list("学时类型", d.hour_type),
        "course_type": check_in_list("课程类型", d.course_type),
        "fee": labelled("培训费用", parse_money, d.fee),
        "material_fee": labelled("教材费用", parse_money, d.material_fee),
        "attribute": check_in_list("课程属性", d.attribute) if d.attribute else None,
        "lecturer": check_text(d.lecturer, label="主讲教师", max_length=100),
        "audience": check_text(d.audience, label="培训对象", max_length=200),
        "capacity": parse_capacity(d.capacity),
        "stages": parse_value_set("任教学段", d.stages),
        "subjects": parse_value_set("任教学科", d.subjects),
    }


def _deadline_text(period: str) -> str:
    return declaration_deadline(period).strftime("%Y-%m-%d")


def declare_course(
    ctx: ServiceContext, *, declaration: Declaration, period: str | None = None
) -> CourseView:
    """A school declares (or, while pending or after a rejection, revises) a 校本培训 course.

    The period defaults to the current one; declarations close on 12-31 of the period's year.
    Raises PermissionDenied (3, not a school admin), InvalidValue/InputRejected (1: bad value,
    no current period), NotFound (4: no such period), Conflict (5: deadline passed, course
    already approved, code taken by another course).
    """
    actor = ctx.require("school", action="申报校本课程")
    values = _clean_declaration(declaration)
    school_id = actor.acting_school_id
    with ctx.transaction() as session:
        if period is None:
            code = current_period_code(session, ctx.now)
            if code is None:
                raise InputRejected(
                    "当前没有进行中的期数，请用 --period 指定期数",
                    hint="jjadmin period list 查看已有期数",
                )
            period = code
        p = get_period(session, period)
        if not declarations_open(p.code, ctx.now):
            raise Conflict(
                f"{p.code} 期校本课程申报已于 {_deadline_text(p.code)} 截止",
                hint="请在下一期申报",
            )
        school = session.get(School, school_id)
        if school is None:  # pragma: no cover - an acting school always exists
            raise NotFound("学校不存在")
        old = session.execute(
            select(Course)
            .where(col(Course.period) == p.code, col(Course.code) == values["code"])
            .with_for_update()
        ).scalar_one_or_none()
        fixed: dict[str, Any] = {
            "level": SCHOOL_LEVEL,
            "charging_unit": school.name[:100],
            "declarer": school.name[:100],
            "district_code": school.district_code,
            "school_id": school.id,
        }
        if old is None:
            course = Course(
                period=p.code,
                **values,
                **fixed,
                status="上线",
                approval=PENDING,
                declared_by=actor.account_id,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
            session.add(course)
            try:
                session.flush()
            except IntegrityError as exc:
                raise Conflict(f"本期已有课程使用编号 {values['code']}，请换一个编号") from exc
            audit.record(
                session,
                actor,
                ctx.now,
                "course.declare",
                "course",
                f"{p.code}/{course.code}",
                after={**values, "school_code": school.code},
            )
            return course_view(course, school.code)
        if old.level != SCHOOL_LEVEL or old.school_id != school.id:
            raise Conflict(f"本期已有课程使用编号 {values['code']}，请换一个编号")
        if old.approval == APPROVED:
            raise Conflict(
                f"校本课程 {old.code} 已审核通过，不能再修改",
                hint="如需调整请联系区级培训管理员",
            )
        before = {k: getattr(old, k) for k in values if k != "code"}
        changes = {k: v for k, v in values.items() if k != "code" and before[k] != v}
        resubmitted = old.approval == REJECTED
        for k, v in changes.items():
            setattr(old, k, v)
        old.approval = PENDING
        old.approval_reason = None
        old.declared_by = actor.account_id
        old.version += 1
        old.updated_at = ctx.now
        audit.record(
            session,
            actor,
            ctx.now,
            "course.resubmit" if resubmitted else "course.declare.update",
            "course",
            f"{p.code}/{old.code}",
            before={k: before[k] for k in changes}
            | ({"approval": REJECTED} if resubmitted else {}),
            after=changes | ({"approval": PENDING} if resubmitted else {}),
        )
        session.flush()
        return course_view(old, school.code)


def _review(
    ctx: ServiceContext, *, period: str, code: str, approve: bool, reason: str | None
) -> CourseView:
    actor = ctx.require("district", "city", action="审核校本课程")
    note = (reason or "").strip() or None
    if not approve and note is None:
        raise InputRejected("驳回校本课程必须填写原因", hint="--reason 驳回原因")
    if note is not None and len(note) > 500:
        raise InputRejected(f"原因过长（{len(note)}个字符，最多500个）")
    with ctx.transaction() as session:
        get_period(session, period)
        course = get_course(session, period, code, for_update=True)
        if course.level != SCHOOL_LEVEL:
            raise Conflict(f"课程 {course.code} 是{course.level}课程，不需要审核")
        school = session.get(School, course.school_id) if course.school_id else None
        if actor.role == "district" and (
            school is None or school.district_code != actor.district_code
        ):
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能审核本区学校申报的校本课程")
        if course.approval != PENDING:
            label = APPROVAL_LABELS.get(course.approval, course.approval)
            raise Conflict(f"校本课程 {course.code} 已审核（{label}），不能重复审核")
        if not declarations_open(course.period, ctx.now):
            raise Conflict(
                f"{course.period} 期校本课程审核已于 {_deadline_text(course.period)} 截止"
            )
        course.approval = APPROVED if approve else REJECTED
        course.approval_reason = note
        course.approved_by = actor.account_id
        course.version += 1
        course.updated_at = ctx.now
        audit.record(
            session,
            actor,
            ctx.now,
            "course.approve" if approve else "course.reject",
            "course",
            f"{course.period}/{course.code}",
            before={"approval": PENDING},
            after={"approval": course.approval, "reason": note},
        )
        session.flush()
        return course_view(course, school.code if school else None)


def approve_course(ctx: ServiceContext, *, period: str, code: str) -> CourseView:
    """The district of the course's school (or the city) approves a pending 校本 course.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3), Conflict (5: not pending, not
    校本, review deadline 12-31 passed).
    """
    return _review(ctx, period=period, code=code, approve=True, reason=None)


def reject_course(ctx: ServiceContext, *, period: str, code: str, reason: str) -> CourseView:
    """Reject a pending 校本 course with a reason (the school may revise and resubmit).

    Raises InputRejected (1, no reason), NotFound (4), PermissionDenied (3), Conflict (5).
    """
    return _review(ctx, period=period, code=code, approve=False, reason=reason)
