"""课程导入 (`course import`): create or update the courses of a 课程 sheet, within what the
actor may import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.models import Course, District, Period, School
from jjadmin.rules.courses import APPROVED
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.courses.common import (
    ABILITY_LEVEL,
    CHUNK,
    DISTRICT_LEVEL,
    HEADERS,
    SCHOOL_LEVEL,
)
from jjadmin.services.imports import BatchWriter, ImportOptions, run_import
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike

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
    "ability_dimension",
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
    "ability_dimension",
)


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
                    "ability_dimension": None,
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
