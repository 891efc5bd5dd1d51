"""集体选课 and 选课导入: an administrator enrolls teachers (by course, by teacher, or from a
sheet)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import InputRejected, NotFound
from jjadmin.models import Course, Period, Teacher
from jjadmin.rules.codes import normalize_course_code, normalize_learner_no, parse_period_code
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.enrollment.common import (
    ADMIN_ROLES,
    COURSE_MASK,
    PAIR_SHIFT,
    SelectionWindowClosed,
    _window_text,
)
from jjadmin.services.enrollment.gate import SchoolBasedClosed, enrollment_gate
from jjadmin.services.enrollment.planner import (
    _pair_columns,
    _Plan,
    _plan,
    _rows_by_course,
    _rows_by_teacher,
)
from jjadmin.services.enrollment.writer import _apply
from jjadmin.services.imports import BatchWriter, ImportOptions, run_import
from jjadmin.services.period_lookup import get_period
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike


def _audit_force(
    session: Session, ctx: ServiceContext, actor: Actor, p: Period, what: str, created: int
) -> None:
    audit.record(
        session,
        actor,
        ctx.now,
        "enroll.force",
        "period",
        p.code,
        after={"window": _window_text(p), "operation": what, "created": created},
    )


def add_enrollments(
    ctx: ServiceContext,
    *,
    period: str,
    course: str | None = None,
    learners: Sequence[tuple[int, str] | tuple[int, str, str | None]] = (),
    teacher: str | None = None,
    courses: Sequence[tuple[int, str]] = (),
    force: bool = False,
    skip_invalid: bool = False,
    pre_issues: Sequence[RowIssue] = (),
) -> ImportReport:
    """集体选课: one course for many teachers (`course` + `learners`), or one teacher for
    many courses (`teacher` + `courses`); `learners` are (row number, 学号[, 姓名]) and
    `courses` (row number, 课程编号) — a given 姓名 must match the 学号's teacher.

    All or nothing unless `skip_invalid`; the report says what was created, skipped
    (already selected) and refused.
    Raises InputRejected (1, bad codes or options), NotFound (4, the course or teacher),
    PermissionDenied (3, a teacher outside the scope, --force by a non-city account),
    SelectionWindowClosed (5), CapacityExceeded / Conflict (5, lost a race).
    """
    actor = ctx.require(*ADMIN_ROLES, action="为教师选课")
    code = parse_period_code(period)
    if (course is None) == (teacher is None):
        raise InputRejected("请指定 --course（按课程选教师）或 --teacher（按教师选课程）之一")
    if course is not None:
        course_code = normalize_course_code(course)
        rows = _rows_by_course(course_code, learners)
        target_type, target = "course", course_code
        if not rows:
            raise InputRejected(
                "没有要选课的教师学号", hint="--teachers 学号,学号 或 --teachers 文件"
            )
    else:
        learner_no = normalize_learner_no(teacher)
        rows = _rows_by_teacher(learner_no, courses)
        target_type, target = "teacher", learner_no
        if not rows:
            raise InputRejected("没有要选的课程编号", hint="--courses 课程编号,课程编号")
    report = ImportReport(total=len(rows))
    report.issues.extend(pre_issues)
    for r in rows:
        report.issues.extend(r.issues)
    codes = [r.values.get("course_code") for r in rows if not r.issues]
    with ctx.transaction() as session:
        p, forced = enrollment_gate(session, ctx, actor, code, codes, force=force, mode="admin")
        if course is not None:
            _require_course(session, p.code, target)
        else:
            _require_teacher(session, target)
        plan = _plan(session, actor, p.code, rows, report, mode="admin", skip_invalid=skip_invalid)
        if report.issues and not skip_invalid:
            session.rollback()
            return report
        labels = _pair_labels(plan)
        created = _apply(session, ctx, actor, plan, report, source="force" if forced else "admin")
        report.skipped = plan.existing + len(report.rejected_rows)
        if not created:
            session.rollback()
            return report
        audit.record(
            session,
            actor,
            ctx.now,
            "enroll.add",
            target_type,
            target,
            after={
                "period": p.code,
                "created": created,
                "skipped": report.skipped,
                "rejected": len(report.rejected_rows),
                "enrollments": labels,
            },
        )
        if forced:
            _audit_force(session, ctx, actor, p, "enroll add", created)
    return report


def _pair_labels(plan: _Plan) -> list[str]:
    """'学号:课程编号' of the planned enrollments, course by course in request order (for the
    audit row of a small batch)."""
    return [
        f"{plan.teachers[pair >> PAIR_SHIFT].learner_no}:{plan.courses[pair & COURSE_MASK].code}"
        for pair in sorted(plan.pairs, key=COURSE_MASK.__and__)
    ]


def _require_course(session: Session, period: str, code: str) -> None:
    found = session.execute(
        select(col(Course.id)).where(col(Course.period) == period, col(Course.code) == code)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(
            f"课程不存在：{period} 期 {code}",
            hint=f"jjadmin course list --period {period} 查看本期课程",
        )


def _require_teacher(session: Session, learner_no: str) -> None:
    found = session.execute(
        select(col(Teacher.id)).where(col(Teacher.learner_no) == learner_no)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"学号不存在：{learner_no}")


def _import_unit(actor: Actor) -> str:
    if actor.role == "district":
        return f"district:{actor.district_code}"
    if actor.acting_school_id is not None and actor.role != "city":
        return f"school:{actor.school_code}"
    return "city"


def import_enrollments(
    ctx: ServiceContext,
    *,
    period: str,
    rows: Sequence[RowLike],
    pre_issues: Sequence[RowIssue],
    file: FileMeta,
    options: ImportOptions,
    force: bool = False,
    notes: Sequence[str] = (),
    present: frozenset[str] = frozenset(),
) -> ImportReport:
    """选课导入 (学号, 课程编号, 姓名): every row judged, then all or nothing (SPEC §5).

    Raises InvalidValue (1, malformed period), NotFound (4, no such period),
    PermissionDenied (3), SelectionWindowClosed (5), Conflict (5, another import of the
    unit running, or a race lost).
    """
    actor = ctx.require(*ADMIN_ROLES, action="导入选课")
    code = parse_period_code(period)
    state: dict[str, Any] = {}

    def validate(
        session: Session, actor: Actor, rows: Sequence[RowLike], report: ImportReport
    ) -> None:
        codes = set(_pair_columns(rows).course_codes)
        try:
            p, forced = enrollment_gate(
                session, ctx, actor, code, codes, force=force, mode="import"
            )
        except (SelectionWindowClosed, SchoolBasedClosed) as closed:
            if not options.dry_run:
                raise
            # a school pre-checks its sheet before the window opens (issue 13): the rows are
            # judged; importing them for real still waits for the window
            p, forced = get_period(session, code), False
            report.notes.append(f"只做校验：{closed.message}；正式导入须在选课时间内")
        state["forced"], state["period"] = forced, p
        state["plan"] = _plan(
            session, actor, p.code, rows, report, mode="import", skip_invalid=options.skip_invalid
        )

    def apply(
        session: Session,
        actor: Actor,
        rows: Sequence[RowLike],
        report: ImportReport,
        writer: BatchWriter,
    ) -> None:
        plan: _Plan = state["plan"]
        created = _apply(
            session,
            ctx,
            actor,
            plan,
            report,
            source="force" if state["forced"] else "import",
            batch_id=writer.batch_id,
        )
        report.skipped += plan.existing
        if state["forced"] and created:
            _audit_force(session, ctx, actor, state["period"], "enroll import", created)

    return run_import(
        ctx,
        kind="enroll",
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
