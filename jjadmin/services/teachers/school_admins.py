"""授权 (`teacher admin grant|revoke`): a school makes several of its teachers school admins,
besides its one principal; the teacher's login then also acts as the school's admin.

Seed (基础信息管理 (3) 设置校长账号): "学校继续教育管理员可通过此功能授权本校多位教师为学校继续
教育管理员，共同分担学校继续教育管理工作". Like the principal's, the grant ends when the teacher
leaves the school (transfer approved, archived as 离职/退休).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict
from jjadmin.models import SchoolAdmin
from jjadmin.rules.enums import TeacherStatus
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.teachers.common import P, _find_teacher, _school_label
from jjadmin.services.teachers.views import ADMIN_ROLES

SA: Table = SchoolAdmin.__table__  # type: ignore[attr-defined]


def grant_school_admin(ctx: ServiceContext, learner_no: str) -> str:
    """授权 a 在职 teacher of the school as one of its school admins. Returns the school code.

    Raises NotFound (4), PermissionDenied (3: another school's teacher), Conflict (5: not
    在职, already a school admin, the school's principal).
    """
    actor = ctx.require(*ADMIN_ROLES, action="授权教师为学校继续教育管理员")
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        if t.status != TeacherStatus.ACTIVE.value:
            raise Conflict(
                f"只能授权在职教师为学校继续教育管理员（学号 {t.learner_no} 当前为{t.status}）"
            )
        if session.execute(select(P.c.school_id).where(P.c.teacher_id == t.id)).first():
            raise Conflict(f"学号 {t.learner_no} 是校长，校长账号已可管理本校，无需再授权")
        if session.execute(select(SA.c.school_id).where(SA.c.teacher_id == t.id)).first():
            raise Conflict(f"学号 {t.learner_no} 已是本校的学校继续教育管理员")
        code, _ = _school_label(session, t.school_id)
        try:
            session.execute(
                insert(SA).values(
                    teacher_id=t.id,
                    school_id=t.school_id,
                    granted_by=actor.account_id,
                    granted_at=ctx.now,
                )
            )
            session.flush()
        except IntegrityError as exc:
            raise Conflict(
                f"学号 {t.learner_no} 已是学校继续教育管理员（同时进行的授权已生效）"
            ) from exc
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.admin.grant",
            "teacher",
            t.learner_no,
            after={"school_code": code},
        )
        return code


def revoke_school_admin(ctx: ServiceContext, learner_no: str) -> str:
    """Cancel a teacher's school admin grant. Returns the school code.

    Raises NotFound (4), PermissionDenied (3), Conflict (5: not a granted school admin).
    """
    actor = ctx.require(*ADMIN_ROLES, action="取消学校继续教育管理员授权")
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        row = session.execute(select(SA.c.school_id).where(SA.c.teacher_id == t.id)).first()
        if row is None:
            raise Conflict(f"学号 {t.learner_no} 不是授权的学校继续教育管理员")
        session.execute(delete(SA).where(SA.c.teacher_id == t.id))
        code, _ = _school_label(session, int(row[0]))
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.admin.revoke",
            "teacher",
            t.learner_no,
            before={"school_code": code},
        )
        return code


def end_school_admin(
    session: Session, actor: Actor, now: datetime, teacher_id: int, learner_no: str, reason: str
) -> bool:
    """The teacher left the school (transfer, 离职/退休): the admin grant ends, audited.
    Returns whether there was one."""
    gone = session.execute(delete(SA).where(SA.c.teacher_id == teacher_id))
    if not gone.rowcount:  # type: ignore[attr-defined]
        return False
    audit.record(
        session, actor, now, "teacher.admin.end", "teacher", learner_no, after={"reason": reason}
    )
    return True
