"""授权校长: grant and revoke (one principal per school)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from jjadmin.errors import Conflict
from jjadmin.rules.enums import TeacherStatus
from jjadmin.services import audit
from jjadmin.services.context import ServiceContext
from jjadmin.services.teachers.common import P, T, _find_teacher, _school_label
from jjadmin.services.teachers.views import ADMIN_ROLES


def grant_principal(ctx: ServiceContext, learner_no: str) -> str:
    """授权校长: one per school; the teacher's login then also acts as the school's admin.

    Returns the school code. Raises NotFound (4), PermissionDenied (3: another school's
    teacher), Conflict (5: not 在职, already principal, the school has a principal).
    """
    actor = ctx.require(*ADMIN_ROLES, action="授权校长")
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        if t.status != TeacherStatus.ACTIVE.value:
            raise Conflict(f"只能授权在职教师为校长（学号 {t.learner_no} 当前为{t.status}）")
        own = session.execute(select(P).where(P.c.teacher_id == t.id)).first()
        if own is not None:
            raise Conflict(f"学号 {t.learner_no} 已是校长")
        current = session.execute(
            select(T.c.learner_no, T.c.name)
            .join(P, P.c.teacher_id == T.c.id)
            .where(P.c.school_id == t.school_id)
        ).first()
        code, _ = _school_label(session, t.school_id)
        if current is not None:
            raise Conflict(
                f"本校已有校长（学号 {current[0]} {current[1]}），一个学校只能授权一位校长",
                hint=f"先取消原校长的授权：jjadmin teacher principal revoke {current[0]}",
            )
        try:
            session.execute(
                insert(P).values(
                    school_id=t.school_id,
                    teacher_id=t.id,
                    granted_by=actor.account_id,
                    granted_at=ctx.now,
                )
            )
            session.flush()
        except IntegrityError as exc:
            raise Conflict("本校已有校长（同时进行的另一项授权已生效）") from exc
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.principal.grant",
            "teacher",
            t.learner_no,
            after={"school_code": code},
        )
        return code


def revoke_principal(ctx: ServiceContext, learner_no: str) -> str:
    """Cancel a principal grant. Returns the school code.

    Raises NotFound (4), PermissionDenied (3), Conflict (5: not a principal).
    """
    actor = ctx.require(*ADMIN_ROLES, action="取消校长授权")
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        row = session.execute(select(P.c.school_id).where(P.c.teacher_id == t.id)).first()
        if row is None:
            raise Conflict(f"学号 {t.learner_no} 不是校长")
        session.execute(delete(P).where(P.c.teacher_id == t.id))
        code, _ = _school_label(session, int(row[0]))
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.principal.revoke",
            "teacher",
            t.learner_no,
            before={"school_code": code},
        )
        return code
