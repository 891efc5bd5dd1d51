"""自主选课 and 取消选课 (`me enroll`, `me drop`): the logged-in teacher, inside the selection
window."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import InputRejected, NotFound, PermissionDenied
from jjadmin.models import Teacher
from jjadmin.rules.codes import normalize_course_code, parse_period_code
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.enrollment.drop import DropResult, _drop
from jjadmin.services.enrollment.gate import enrollment_gate
from jjadmin.services.enrollment.planner import _plan, _rows_by_teacher
from jjadmin.services.enrollment.writer import _apply
from jjadmin.services.period_lookup import current_period_code
from jjadmin.services.results import ImportReport


def _self_actor(ctx: ServiceContext, action: str) -> Actor:
    actor = ctx.require("teacher", action=action)
    if actor.teacher_id is None:
        raise PermissionDenied(f"当前账号不是学员账号，不能{action}")
    return actor


def _own_learner_no(session: Session, actor: Actor) -> str:
    return str(
        session.execute(
            select(col(Teacher.learner_no)).where(col(Teacher.id) == actor.teacher_id)
        ).scalar_one()
    )


def _self_period(session: Session, ctx: ServiceContext, period: str | None) -> str:
    if period:
        return parse_period_code(period)
    code = current_period_code(session, ctx.now)
    if code is None:
        raise NotFound("当前没有可选课的期数", hint="用 --period 指定期数")
    return code


def enroll_self(
    ctx: ServiceContext, *, course_codes: Sequence[str], period: str | None = None
) -> ImportReport:
    """自主选课 (me enroll): the logged-in teacher selects courses, 提升工程 included,
    inside the selection window only; never 专项 (applied for) nor 校本 (the school enrolls).
    All or nothing.

    Raises InputRejected (1), NotFound (4), PermissionDenied (3, not a teacher account),
    SelectionWindowClosed (5), Conflict (5: a 专项 or 校本 course), CapacityExceeded /
    Conflict (5).
    """
    actor = _self_actor(ctx, "自主选课")
    if not course_codes:
        raise InputRejected("请指定要选的课程编号", hint="jjadmin me courses 查看可选课程")
    with ctx.transaction() as session:
        code = _self_period(session, ctx, period)
        p, _ = enrollment_gate(session, ctx, actor, code, course_codes, force=False, mode="self")
        learner_no = _own_learner_no(session, actor)
        rows = _rows_by_teacher(learner_no, list(enumerate(course_codes, start=1)))
        report = ImportReport(total=len(rows))
        for r in rows:
            report.issues.extend(r.issues)
        plan = _plan(session, actor, p.code, rows, report, mode="self", skip_invalid=False)
        if report.issues:
            session.rollback()
            return report
        chosen = [plan.courses[cid].code for cid in sorted(plan.seats())]
        created = _apply(session, ctx, actor, plan, report, source="self")
        report.skipped = plan.existing
        if created:
            audit.record(
                session,
                actor,
                ctx.now,
                "enroll.self",
                "teacher",
                learner_no,
                after={"period": p.code, "courses": chosen},
            )
    return report


def drop_own_enrollment(
    ctx: ServiceContext, *, course_code: str, period: str | None = None
) -> DropResult:
    """取消选课 (me drop): the teacher, inside the selection window only.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3), SelectionWindowClosed (5),
    Conflict (5, paid).
    """
    actor = _self_actor(ctx, "取消选课")
    code = normalize_course_code(course_code)
    with ctx.reading() as session:
        p = _self_period(session, ctx, period)
        learner_no = _own_learner_no(session, actor)
    teacher_only = Actor(
        actor.account_id,
        actor.username,
        "teacher",
        actor.name,
        school_id=actor.school_id,
        teacher_id=actor.teacher_id,
    )
    return _drop(ctx, teacher_only, period=p, learner_no=learner_no, course_code=code)
