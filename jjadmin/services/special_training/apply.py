"""专项培训报名 (`special-training apply`, `me apply`): the teacher applies for a project, or a
school admin applies on the teacher's behalf; the application waits for the school's review.

Seed (学员平台 · 专项培训课程): "请学员根据自身专业发展的规划和专项培训的参训条件，在网上报名，
经过学员所在学校的校长\\各区行政管理员以及承担项目的培训机构审核通过后，即可获得培训资格".
"""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import Conflict, InputRejected, NotFound, PermissionDenied, UsageError
from jjadmin.models import Course, Enrollment, School, SpecialUser, Teacher
from jjadmin.rules.codes import normalize_course_code, normalize_learner_no, parse_period_code
from jjadmin.rules.courses import check_text
from jjadmin.rules.enums import EnrollmentState, TeacherStatus, TrainingLevel
from jjadmin.rules.special_training import FIRST_STATE, REJECTED
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.scope import OUT_OF_SCOPE, school_in_scope
from jjadmin.services.special_training.common import NOTE_MAX, ApplicationView, load_view
from jjadmin.services.special_training.tables import APP_T

SPECIAL = TrainingLevel.SPECIAL.value
ONLINE = "上线"


def _applicant(session: Session, actor: Actor, learner_no: str | None) -> Teacher:
    """The teacher applying: the actor themself, or (a school admin) a teacher of its school.

    Raises UsageError (2: an admin without --teacher), InputRejected (1), NotFound (4),
    PermissionDenied (3: another teacher, another school's teacher).
    """
    own = session.get(Teacher, actor.teacher_id) if actor.teacher_id is not None else None
    if learner_no is None:
        if own is None:
            raise UsageError(
                "请用 --teacher 指定要代为申报的教师学号",
                hint="jjadmin special-training apply 课程编号 --teacher 学号",
            )
        return own
    key = normalize_learner_no(learner_no)
    if own is not None and own.learner_no == key:
        return own
    if not actor.has_role("school"):
        raise PermissionDenied("学员只能为本人申报专项培训", hint="jjadmin me apply 课程编号")
    teacher = session.execute(
        select(Teacher).where(col(Teacher.learner_no) == key)
    ).scalar_one_or_none()
    if teacher is None:
        raise NotFound(f"学号不存在：{key}")
    school = session.get(School, teacher.school_id)
    assert school is not None
    if not school_in_scope(actor, school):
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能为本校教师代为申报")
    return teacher


def find_project(session: Session, code: str, period: str | None) -> Course:
    """The 专项培训 course (project) with this code, of `period` or the only one online.

    Raises NotFound (4), Conflict (5: not a 专项 course, offline), InputRejected (1: the
    code is a project of several periods and no --period).
    """
    stmt = select(Course).where(col(Course.code) == code)
    if period is not None:
        stmt = stmt.where(col(Course.period) == period)
    found = list(session.execute(stmt.order_by(col(Course.period).desc())).scalars())
    if not found:
        where = f"{period} 期" if period else ""
        raise NotFound(
            f"课程不存在：{where}{code}",
            hint="jjadmin course list --level 专项培训 查看专项培训项目",
        )
    projects = [c for c in found if c.level == SPECIAL]
    if not projects:
        c = found[0]
        raise Conflict(
            f"课程 {code} 是{c.level}课程，不是专项培训项目，不需要申报",
            hint="选课：jjadmin me enroll 课程编号（或由学校管理员 jjadmin enroll add）",
        )
    online = [c for c in projects if c.status == ONLINE]
    if len(online) > 1:
        periods = "、".join(c.period for c in online)
        raise InputRejected(
            f"{periods} 期都有专项培训项目 {code}，请指定期数", hint="加 --period 期数"
        )
    if not online:
        c = projects[0]
        raise Conflict(f"专项培训项目 {code}（{c.period} 期）未上线，不能报名")
    return online[0]


def _check_teacher(session: Session, t: Teacher) -> None:
    """Raises Conflict (5) for a teacher not 在职 or a special user."""
    if t.status != TeacherStatus.ACTIVE.value:
        raise Conflict(f"教师 {t.learner_no} 的在岗状态为“{t.status}”，只有在职教师可以报名")
    flagged = session.execute(
        select(func.count()).where(
            col(SpecialUser.teacher_id) == t.id, col(SpecialUser.cleared_at).is_(None)
        )
    ).scalar_one()
    if flagged:
        raise Conflict(
            f"教师 {t.learner_no} 是特殊用户（有选课未缴费），须到市级培训中心消除后才能报名"
        )


def _check_not_applied(session: Session, t: Teacher, course: Course) -> None:
    """Raises Conflict (5) when a live application or an enrollment exists already."""
    live = session.execute(
        select(APP_T.c.id, APP_T.c.state).where(
            APP_T.c.teacher_id == t.id, APP_T.c.course_id == course.id, APP_T.c.state != REJECTED
        )
    ).first()
    if live is not None:
        raise Conflict(
            f"学号 {t.learner_no} 已申报专项培训项目 {course.code}（申请 {live[0]}，{live[1]}）",
            hint=f"查看：jjadmin special-training show {live[0]}",
        )
    enrolled = session.execute(
        select(func.count()).where(
            col(Enrollment.teacher_id) == t.id,
            col(Enrollment.course_id) == course.id,
            col(Enrollment.state) == EnrollmentState.ACTIVE.value,
        )
    ).scalar_one()
    if enrolled:
        raise Conflict(f"学号 {t.learner_no} 已获得专项培训项目 {course.code} 的培训资格")


def apply_for_training(
    ctx: ServiceContext,
    *,
    course: str,
    teacher: str | None = None,
    period: str | None = None,
    note: str | None = None,
) -> ApplicationView:
    """报名专项培训: the application (待学校审核) of the teacher — the actor, or with
    `teacher` a teacher of the school admin's school. A teacher whose application was not
    approved (未通过) may apply again.

    Raises UsageError (2), InputRejected (1), PermissionDenied (3), NotFound (4), Conflict
    (5: not a 专项 course or offline, teacher not 在职 or a special user, applied already).
    """
    actor = ctx.require("teacher", "school", action="申报专项培训")
    code = normalize_course_code(course)
    period_code = parse_period_code(period) if period else None
    text = check_text(note, label="备注", max_length=NOTE_MAX)
    with ctx.transaction() as session:
        t = _applicant(session, actor, teacher)
        project = find_project(session, code, period_code)
        _check_teacher(session, t)
        _check_not_applied(session, t, project)
        try:
            new_id = session.execute(
                insert(APP_T)
                .values(
                    teacher_id=t.id,
                    school_id=t.school_id,
                    course_id=project.id,
                    state=FIRST_STATE,
                    note=text,
                    applied_by=actor.account_id,
                    applied_at=ctx.now,
                )
                .returning(APP_T.c.id)
            ).scalar_one()
        except IntegrityError as exc:
            raise Conflict(
                f"学号 {t.learner_no} 已申报专项培训项目 {code}（同时进行的另一次申报已生效）"
            ) from exc
        audit.record(
            session,
            actor,
            ctx.now,
            "special_training.apply",
            "special_training_application",
            str(new_id),
            after={
                "learner_no": t.learner_no,
                "period": project.period,
                "course_code": project.code,
                "state": FIRST_STATE,
                "note": text,
                "on_behalf": actor.teacher_id != t.id,
            },
        )
    with ctx.raw_reading() as db:
        return load_view(db, int(new_id))
