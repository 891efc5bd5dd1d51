"""成绩导入 (`grade import`, SPEC §5/§6 Grade): the 成绩 sheet judged row by row against the
database, then written all or nothing through the shared import flow, and the ledger follows.

- Who grades what is `scope_rules.GRADERS` (a course the actor may not grade: exit 3).
- A grade needs an active enrollment of the course (of that period).
- A passed grade credits the course's hours and 学时类型 to the period's year (ledger source
  ``grade``, source_ref the course id); a re-grade replaces the earlier grade and its credit,
  a fail after a pass withdraws it; an unchanged row is skipped (importing twice changes
  nothing). `batch undo` deletes the batch's new grades, restores the re-graded ones and
  brings the ledger back in line (`imports.UNDO_FOLLOWERS`).

Everything is set-based: one read of the courses, one of their active enrollments and one of
their grades; Core executemany for the inserts, updates and ledger postings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.errors import PermissionDenied, UsageError
from jjadmin.models import metadata
from jjadmin.rules.codes import parse_period_code, period_year
from jjadmin.rules.grades import Score, format_score
from jjadmin.services import imports
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.credits.ability_completion import ABILITY_LEVEL, ability_completion
from jjadmin.services.credits.bulk import execute_rows, insert_rows
from jjadmin.services.credits.ledger import (
    Credit,
    post_credit_groups,
    resync_grade_credits,
    withdraw_credits,
)
from jjadmin.services.imports import BatchWriter, ImportOptions, run_import
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike
from jjadmin.services.scope_rules import GRADERS, grading_refusal

GRADER_ROLES = tuple(GRADERS)
_CHUNK = 500


def _follow_undone_grades(session: Session, enrollment_ids: set[int], now: datetime) -> None:
    """The ledger follows a batch's grades when it is undone: the courses' rows, and the
    ability project of any 提升工程 course among them."""
    resync_grade_credits(session, enrollment_ids, now)
    e, c = metadata.tables["enrollment"], metadata.tables["course"]
    ids = sorted(enrollment_ids)
    ability: dict[str, set[int]] = {}
    for i in range(0, len(ids), _CHUNK):
        for tid, period in session.execute(
            select(e.c.teacher_id, c.c.period)
            .join(c, c.c.id == e.c.course_id)
            .where(e.c.id.in_(ids[i : i + _CHUNK]), c.c.level == ABILITY_LEVEL)
        ):
            ability.setdefault(str(period), set()).add(int(tid))
    for period, teachers in sorted(ability.items()):
        ability_completion(session, teachers, period, now=now)


imports.UNDO_FOLLOWERS["grade"] = _follow_undone_grades


@dataclass(frozen=True, slots=True)
class _Course:
    id: int
    period: str
    code: str
    name: str
    level: str
    hours: Decimal
    hour_type: str
    district_code: str | None
    school_id: int | None
    charging_unit: str
    declarer: str | None


@dataclass(slots=True)
class _Old:
    id: int
    score: Decimal | None
    passed: bool
    remark: str | None
    version: int


@dataclass(slots=True)
class _Grade:
    enrollment_id: int
    teacher_id: int
    course: _Course
    score: Score
    remark: str | None
    old: _Old | None


def _unit(actor: Actor) -> str:
    if actor.role == "district":
        return f"district:{actor.district_code}"
    if actor.role == "institution":
        return f"institution:{actor.institution}"
    if actor.acting_school_id is not None and actor.role != "city":
        return f"school:{actor.school_code}"
    return "city"


def _courses(session: Session, periods: set[str]) -> dict[tuple[str, str], _Course]:
    c = metadata.tables["course"]
    rows = session.execute(
        select(
            c.c.id,
            c.c.period,
            c.c.code,
            c.c.name,
            c.c.level,
            c.c.hours,
            c.c.hour_type,
            c.c.district_code,
            c.c.school_id,
            c.c.charging_unit,
            c.c.declarer,
        ).where(c.c.period.in_(sorted(periods)))
    ).all()
    return {(r[1], r[2]): _Course(*r) for r in rows}


def _enrollments(session: Session, course_ids: list[int]) -> dict[tuple[str, int], tuple[int, int]]:
    """(学号, course id) → (enrollment id, teacher id) of the active enrollments."""
    e, t = metadata.tables["enrollment"], metadata.tables["teacher"]
    found: dict[tuple[str, int], tuple[int, int]] = {}
    for i in range(0, len(course_ids), _CHUNK):
        for eid, tid, ln, cid in session.execute(
            select(e.c.id, e.c.teacher_id, t.c.learner_no, e.c.course_id)
            .join(t, t.c.id == e.c.teacher_id)
            .where(e.c.course_id.in_(course_ids[i : i + _CHUNK]), e.c.state == "active")
        ).all():
            found[(ln, cid)] = (eid, tid)
    return found


def _grades(session: Session, course_ids: list[int]) -> dict[int, _Old]:
    """enrollment id → its grade, for the enrollments of these courses."""
    g, e = metadata.tables["grade"], metadata.tables["enrollment"]
    found: dict[int, _Old] = {}
    for i in range(0, len(course_ids), _CHUNK):
        for gid, eid, score, passed, remark, version in session.execute(
            select(g.c.id, g.c.enrollment_id, g.c.score, g.c.passed, g.c.remark, g.c.version)
            .join(e, e.c.id == g.c.enrollment_id)
            .where(e.c.course_id.in_(course_ids[i : i + _CHUNK]))
        ).all():
            found[eid] = _Old(gid, score, bool(passed), remark, version)
    return found


def _known_teachers(session: Session, learner_nos: list[str]) -> set[str]:
    t = metadata.tables["teacher"]
    known: set[str] = set()
    for i in range(0, len(learner_nos), _CHUNK):
        known.update(
            session.execute(
                select(t.c.learner_no).where(t.c.learner_no.in_(learner_nos[i : i + _CHUNK]))
            ).scalars()
        )
    return known


def _same(old: _Old, score: Score, remark: str | None) -> bool:
    old_value = None if old.score is None else Decimal(old.score)
    return old_value == score.value and old.passed == score.passed and old.remark == remark


def import_grades(
    ctx: ServiceContext,
    *,
    rows: Sequence[RowLike],
    pre_issues: Sequence[RowIssue],
    file: FileMeta,
    options: ImportOptions,
    period: str | None = None,
    notes: Sequence[str] = (),
    present: frozenset[str] = frozenset(),
) -> ImportReport:
    """成绩导入 (学号, 课程编号, 成绩, 备注[, 期数]): every row judged, then all or nothing.

    Raises UsageError (2: no period at all), InvalidValue (1: a malformed --period),
    PermissionDenied (3: a course the actor may not grade), Conflict (5: another import of
    the unit running).
    """
    actor = ctx.require(*GRADER_ROLES, action="导入成绩")
    default_period = parse_period_code(period) if period is not None else None
    if default_period is None and "period" not in present and not pre_issues:
        raise UsageError("未指定期数：请加 --period，或在成绩表中加“期数”列")
    plan: list[_Grade] = []
    unchanged: set[int] = set()

    def validate(
        session: Session, actor: Actor, rows: Sequence[RowLike], report: ImportReport
    ) -> None:
        usable: list[tuple[int, str, str, str, Score, str | None]] = []
        for r in rows:
            values = r.values
            if getattr(r, "issues", None):
                continue
            p = values.get("period") or default_period
            if p is None:
                report.add(
                    RowIssue(r.row, "期数", None, "期数不能为空（或加 --period）", "required")
                )
                continue
            if default_period is not None and p != default_period:
                report.add(
                    RowIssue(r.row, "期数", str(p), f"期数与 --period {default_period} 不符")
                )
                continue
            usable.append(
                (
                    r.row,
                    str(p),
                    str(values["learner_no"]),
                    str(values["course_code"]),
                    values["score"],  # type: ignore[arg-type]
                    values.get("remark"),  # type: ignore[arg-type]
                )
            )
        courses = _courses(session, {u[1] for u in usable})
        # a course the actor may not grade refuses the whole sheet (exit 3)
        refused: dict[str, str] = {}
        used: dict[int, _Course] = {}
        year_now = ctx.now.year
        for _, p, _, code, _, _ in usable:
            course = courses.get((p, code))
            if course is None or course.id in used:
                continue
            used[course.id] = course
            why = grading_refusal(actor, course, year_now)
            if why is not None:
                refused.setdefault(f"{p} 期 {code}", why)
        if refused:
            named = "、".join(list(refused)[:10]) + ("…" if len(refused) > 10 else "")
            raise PermissionDenied(
                f"{next(iter(refused.values()))}：{named}",
                hint="区只能登记本区区级课程，学校只能登记本校本年度校本课程，"
                "培训机构只能登记本机构的课程",
            )
        ids = sorted(used)
        active = _enrollments(session, ids)
        olds = _grades(session, ids)
        first: dict[tuple[str, str, str], int] = {}
        missing: list[tuple[int, str, _Course]] = []
        for row, p, ln, code, score, remark in usable:
            course = courses.get((p, code))
            if course is None:
                report.add(
                    RowIssue(
                        row, "课程编号", code, f"课程不存在：{p} 期 {code}", "not-found", "state"
                    )
                )
                continue
            key = (p, ln, code)
            if key in first:
                report.add(
                    RowIssue(
                        row,
                        "学号",
                        ln,
                        f"与第 {first[key]} 行重复（同一学号、同一课程）",
                        "duplicate",
                    )
                )
                continue
            first[key] = row
            found = active.get((ln, course.id))
            if found is None:
                missing.append((row, ln, course))
                continue
            eid, tid = found
            old = olds.get(eid)
            if old is not None and _same(old, score, remark):
                unchanged.add(row)
                continue
            plan.append(_Grade(eid, tid, course, score, remark, old))
        known = _known_teachers(session, sorted({ln for _, ln, _ in missing}))
        for row, ln, course in missing:
            if ln not in known:
                report.add(RowIssue(row, "学号", ln, f"学号不存在：{ln}", "not-found", "state"))
            else:
                report.add(
                    RowIssue(
                        row,
                        "课程编号",
                        course.code,
                        f"学号 {ln} 没有 {course.period} 期课程 {course.code} 的有效选课记录，"
                        "不能登记成绩",
                        "not-enrolled",
                        "state",
                    )
                )
        passed = sum(1 for g in plan if g.score.passed)
        report.extra.update({"passed": passed, "not_passed": len(plan) - passed})

    def apply(
        session: Session,
        actor: Actor,
        rows: Sequence[RowLike],
        report: ImportReport,
        writer: BatchWriter,
    ) -> None:
        report.skipped += len(unchanged)
        if not plan:
            return
        _write(session, ctx, actor, plan, writer)
        report.created += sum(1 for g in plan if g.old is None)
        report.updated += sum(1 for g in plan if g.old is not None)

    return run_import(
        ctx,
        kind="grade",
        unit=_unit(actor),
        file=file,
        rows=rows,
        pre_issues=pre_issues,
        options=options,
        validate=validate,
        apply=apply,
        actor=actor,
        notes=notes,
    )


def _write(
    session: Session, ctx: ServiceContext, actor: Actor, plan: list[_Grade], writer: BatchWriter
) -> None:
    g = metadata.tables["grade"]
    now, by = ctx.now, actor.account_id
    new = sorted((x for x in plan if x.old is None), key=lambda x: x.enrollment_id)
    insert_rows(
        session,
        g,
        (
            "enrollment_id",
            "score",
            "passed",
            "remark",
            "recorded_by",
            "recorded_at",
            "batch_id",
            "version",
        ),
        [
            (x.enrollment_id, x.score.value, x.score.passed, x.remark, by, now, writer.batch_id, 1)
            for x in new
        ],
    )
    regraded = [x for x in plan if x.old is not None]
    if regraded:
        execute_rows(
            session,
            g,
            "UPDATE {t} SET score = ?, passed = ?, remark = ?, recorded_by = ?, recorded_at = ?,"
            " version = version + 1 WHERE id = ?",
            ("score", "passed", "remark", "recorded_by", "recorded_at", "id"),
            [
                (x.score.value, x.score.passed, x.remark, by, now, x.old.id)
                for x in regraded
                if x.old is not None
            ],
        )
        for x in regraded:
            assert x.old is not None
            writer.changed(
                "grade",
                x.old.id,
                {"score": _text(x.old.score), "passed": x.old.passed, "remark": x.old.remark},
                {"score": _text(x.score.value), "passed": x.score.passed, "remark": x.remark},
                x.old.version + 1,
            )
    earned: dict[int, tuple[_Course, list[int]]] = {}
    for x in plan:
        # 提升工程 courses are credited as one project when all are passed (below)
        if x.score.passed and x.course.level != ABILITY_LEVEL:
            earned.setdefault(x.course.id, (x.course, []))[1].append(x.teacher_id)
    post_credit_groups(
        session,
        (
            (
                Credit(
                    teacher_id=0,
                    year=period_year(course.period),
                    hours=course.hours,
                    hour_type=course.hour_type,
                    training_level=course.level,
                    source="grade",
                    source_ref=str(course.id),
                    title=course.name,
                ),
                teachers,
            )
            for course, teachers in earned.values()
        ),
        now=now,
        batch_id=writer.batch_id,
    )
    # 提升工程 courses are credited as one project when all are passed (ability_completion)
    ability: dict[str, set[int]] = {}
    for x in plan:
        if x.course.level == ABILITY_LEVEL:
            ability.setdefault(x.course.period, set()).add(x.teacher_id)
    for period, teachers in sorted(ability.items()):
        ability_completion(session, teachers, period, now=now, batch_id=writer.batch_id)
    withdraw_credits(
        session,
        "grade",
        [
            (x.teacher_id, str(x.course.id))
            for x in plan
            if not x.score.passed and x.old is not None and x.old.passed
        ],
    )


def _text(value: Any) -> str | None:
    return None if value is None else format_score(Decimal(value))
