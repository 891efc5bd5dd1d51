"""专项培训审核 (`special-training review`): the teacher's school (its principal or a school
admin), then the district, then the project's institution; the last approval enrolls the
teacher (获得培训资格), a rejection with its reason ends the application (未通过).

Each stage decides once and in order; every decision is kept (who, when, why) and audited.
"""

from __future__ import annotations

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import Conflict, InputRejected, NotFound, PermissionDenied, UsageError
from jjadmin.models import (
    Course,
    Enrollment,
    School,
    SpecialTrainingApplication,
    SpecialUser,
    Teacher,
)
from jjadmin.rules.enums import EnrollmentState, TeacherStatus
from jjadmin.rules.ids import normalize_text
from jjadmin.rules.special_training import (
    APPROVED,
    INSTITUTION,
    REJECTED,
    REVIEWERS,
    STAGE_LABELS,
    STAGES,
    after_approval,
    review_problem,
)
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.dbroles.rows import lock_teachers
from jjadmin.services.enrollment.common import COURSE_T, CapacityExceeded
from jjadmin.services.scope_rules import (
    OUT_OF_SCOPE,
    project_in_scope,
    school_in_scope,
    scope_role,
)
from jjadmin.services.special_training.common import (
    NOTE_MAX,
    ApplicationView,
    load_view,
)
from jjadmin.services.special_training.tables import REVIEW_T

# the source of an enrollment made by a 专项 approval (Enrollment.source)
SOURCE = "special"


def _stage_of(actor: Actor) -> str:
    """The stage the actor decides: its role's (a principal or granted teacher: the school's).

    Raises PermissionDenied (3) for roles that review no stage (the city, a teacher).
    """
    role = scope_role(actor)
    if role not in STAGES:
        order = "→".join(f"{STAGE_LABELS[s]}（{REVIEWERS[s]}）" for s in STAGES)
        raise PermissionDenied(
            f"当前账号 {actor.label} 不审核专项培训申请", hint=f"审核依次为：{order}"
        )
    return role


def _in_scope(actor: Actor, stage: str, school: School, course: Course) -> bool:
    if stage == INSTITUTION:
        return project_in_scope(actor, course)
    return school_in_scope(actor, school)


def _qualify(
    session: Session,
    ctx: ServiceContext,
    actor: Actor,
    app: SpecialTrainingApplication,
    course: Course,
) -> tuple[int, bool]:
    """获得培训资格: the teacher's enrollment in the project (a seat taken if one is left);
    returns (enrollment id, whether it was created now).

    Raises Conflict (5: teacher not 在职 or a special user), CapacityExceeded (5: full).
    """
    lock_teachers(session, [app.teacher_id])  # a city's institution role: the owner locks it
    t = session.execute(select(Teacher).where(col(Teacher.id) == app.teacher_id)).scalar_one()
    reject_hint = (
        f"不能录取时请驳回：jjadmin special-training review {app.id} --reject --reason 原因"
    )
    if t.status != TeacherStatus.ACTIVE.value:
        raise Conflict(
            f"教师 {t.learner_no} 的在岗状态为“{t.status}”，不能获得培训资格", hint=reject_hint
        )
    flagged = session.execute(
        select(func.count()).where(
            col(SpecialUser.teacher_id) == t.id, col(SpecialUser.cleared_at).is_(None)
        )
    ).scalar_one()
    if flagged:
        raise Conflict(f"教师 {t.learner_no} 是特殊用户，不能获得培训资格", hint=reject_hint)
    existing = session.execute(
        select(col(Enrollment.id)).where(
            col(Enrollment.teacher_id) == t.id,
            col(Enrollment.course_id) == course.id,
            col(Enrollment.state) == EnrollmentState.ACTIVE.value,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return int(existing), False
    c = COURSE_T.c
    taken = session.execute(
        update(COURSE_T)
        .where(c.id == course.id, or_(c.capacity.is_(None), c.enrolled + 1 <= c.capacity))
        .values(enrolled=c.enrolled + 1)
    )
    if int(getattr(taken, "rowcount", 0) or 0) != 1:
        raise CapacityExceeded(
            f"专项培训项目 {course.code} 名额已满（容量 {course.capacity}），不能再通过申请",
            hint=reject_hint,
        )
    enrollment = Enrollment(
        period=course.period,
        course_id=course.id or 0,
        teacher_id=t.id or 0,
        school_id=t.school_id,
        state=EnrollmentState.ACTIVE.value,
        paid=False,
        source=SOURCE,
        created_by=actor.account_id,
        created_at=ctx.now,
    )
    session.add(enrollment)
    session.flush()
    audit.record(
        session,
        actor,
        ctx.now,
        "enroll.special",
        "teacher",
        t.learner_no,
        after={"period": course.period, "course_code": course.code, "application": app.id},
    )
    return int(enrollment.id or 0), True


def review_application(
    ctx: ServiceContext, application_id: int, *, approve: bool, reason: str | None = None
) -> ApplicationView:
    """审核 one application at the actor's stage: approve (to the next stage; the last one
    enrolls the teacher) or reject with a reason (未通过, final).

    Raises UsageError (2: a rejection without a reason), InputRejected (1: reason too long),
    PermissionDenied (3: a role that reviews no stage, an application outside the scope,
    one's own application), NotFound (4), Conflict (5: out of order, twice, decided;
    the teacher can no longer be enrolled), CapacityExceeded (5: the project is full).
    """
    actor = ctx.require("school", "district", "institution", action="审核专项培训申请")
    stage = _stage_of(actor)
    why = normalize_text(reason) or None if reason is not None else None
    if not approve and not why:
        raise UsageError("驳回需要说明原因", hint="加 --reason 原因")
    if why is not None and len(why) > NOTE_MAX:
        raise InputRejected(f"原因过长（{len(why)}个字符，最多{NOTE_MAX}个）")
    with ctx.transaction() as session:
        app = session.execute(
            select(SpecialTrainingApplication)
            .where(col(SpecialTrainingApplication.id) == application_id)
            .with_for_update()
        ).scalar_one_or_none()
        if app is None:
            raise NotFound(f"专项培训申请不存在：{application_id}")
        school = session.get(School, app.school_id)
        course = session.get(Course, app.course_id)
        assert school is not None and course is not None
        if not _in_scope(actor, stage, school, course):
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能审核本单位范围内的专项培训申请")
        if actor.teacher_id is not None and actor.teacher_id == app.teacher_id:
            raise PermissionDenied(
                "不能审核本人的专项培训申请", hint="请由本校其他管理员或校长审核"
            )
        problem = review_problem(app.state, stage)
        if problem is not None:
            raise Conflict(problem, hint=f"查看：jjadmin special-training show {app.id}")
        before = app.state
        try:
            session.execute(
                insert(REVIEW_T).values(
                    application_id=app.id,
                    school_id=app.school_id,
                    course_id=app.course_id,
                    stage=stage,
                    approved=approve,
                    reason=why,
                    reviewed_by=actor.account_id,
                    reviewed_at=ctx.now,
                )
            )
        except IntegrityError as exc:
            raise Conflict(f"{STAGE_LABELS[stage]}已完成，不能重复审核") from exc
        enrollment: tuple[int, bool] | None = None
        app.state = after_approval(stage) if approve else REJECTED
        if app.state in (APPROVED, REJECTED):
            app.decided_at = ctx.now
        if app.state == APPROVED:
            enrollment = _qualify(session, ctx, actor, app, course)
            app.enrollment_id = enrollment[0]
        session.flush()
        audit.record(
            session,
            actor,
            ctx.now,
            "special_training.review",
            "special_training_application",
            str(app.id),
            before={"state": before},
            after={
                "stage": stage,
                "decision": "通过" if approve else "未通过",
                "reason": why,
                "state": app.state,
                "enrollment_created": enrollment[1] if enrollment else None,
            },
        )
    with ctx.raw_reading() as db:
        return load_view(db, application_id)
