"""`teacher purge 学号`: remove an archived teacher's personal data on request.

The teacher row stays (its 学号 is never reused, and enrollments, bills and credits keep
counting it) with its personal data replaced: 姓名 "已清除", 身份证号 a unique placeholder,
手机号 zeros, 出生日期 1900-01-01, 电子邮箱 and 通讯地址 removed. Pending record changes
(which copy the data) are deleted, the login account is disabled and emptied, its sessions
and tokens revoked, and the before/after values of the audit rows about the teacher are
replaced by {"purged": true} (the rows themselves — who did what, when — stay).

Refused (exit 5) while the teacher is 在职, or while money or credits are open: an active
enrollment not paid that has a fee, an open special-user flag, or a 学时申报 not decided.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, or_, select, update
from sqlmodel import col

from jjadmin.errors import Conflict
from jjadmin.models import (
    Account,
    AuditLog,
    AuthToken,
    Course,
    CreditDeclaration,
    Enrollment,
    SpecialUser,
    TeacherChange,
)
from jjadmin.rules.enums import TeacherStatus
from jjadmin.services import audit
from jjadmin.services.context import ServiceContext
from jjadmin.services.teachers.common import _find_teacher
from jjadmin.services.teachers.views import ADMIN_ROLES

PURGED_NAME = "已清除"
# 学时申报 states that end a declaration (the credits area's words and its English slugs)
CLOSED_DECLARATIONS = ("approved", "rejected", "withdrawn", "已通过", "未通过", "已撤回")


def purge_teacher(ctx: ServiceContext, learner_no: str) -> str:
    """Purge an archived teacher's personal data; returns the 学号. Raises
    PermissionDenied (3), NotFound (4), Conflict (5: 在职, money or credits open)."""
    actor = ctx.require(*ADMIN_ROLES, action="清除教师个人信息")
    with ctx.transaction() as session:
        teacher = _find_teacher(session, actor, learner_no)
        no = teacher.learner_no
        if teacher.status == TeacherStatus.ACTIVE.value:
            raise Conflict(
                f"教师 {no} 在职，不能清除个人信息",
                hint=f"先归档：jjadmin teacher archive {no} --as 离职",
            )
        if teacher.name == PURGED_NAME and teacher.id_number.startswith("PURGED"):
            raise Conflict(f"教师 {no} 的个人信息已清除")
        unpaid = session.execute(
            select(func.count())
            .select_from(Enrollment)
            .join(Course, col(Course.id) == col(Enrollment.course_id))
            .where(
                col(Enrollment.teacher_id) == teacher.id,
                col(Enrollment.state) == "active",
                col(Enrollment.paid).is_(False),
                (col(Course.fee) + func.coalesce(col(Course.material_fee), 0)) > 0,
            )
        ).scalar_one()
        flags = session.execute(
            select(func.count()).where(
                col(SpecialUser.teacher_id) == teacher.id, col(SpecialUser.cleared_at).is_(None)
            )
        ).scalar_one()
        declarations = session.execute(
            select(func.count()).where(
                col(CreditDeclaration.teacher_id) == teacher.id,
                col(CreditDeclaration.state).not_in(CLOSED_DECLARATIONS),
            )
        ).scalar_one()
        open_ = [
            f"{unpaid} 条未缴费选课" if unpaid else "",
            f"{flags} 条未取消的特殊用户记录" if flags else "",
            f"{declarations} 条未审结的学时申报" if declarations else "",
        ]
        if any(open_):
            raise Conflict(
                f"教师 {no} 尚有{'、'.join(x for x in open_ if x)}，不能清除个人信息",
                hint="缴费、取消特殊用户、审结学时申报后再清除",
            )
        teacher.name = PURGED_NAME
        teacher.id_number = f"PURGED{teacher.id or 0:012d}"
        teacher.mobile = "00000000000"
        teacher.birth_date = date(1900, 1, 1)
        teacher.email = None
        teacher.address = None
        teacher.version += 1
        teacher.updated_at = ctx.now
        session.execute(delete(TeacherChange).where(col(TeacherChange.teacher_id) == teacher.id))
        accounts = select(col(Account.id)).where(col(Account.teacher_id) == teacher.id)
        session.execute(
            update(AuthToken).where(col(AuthToken.account_id).in_(accounts)).values(revoked=True)
        )
        session.execute(
            update(Account)
            .where(col(Account.teacher_id) == teacher.id)
            .values(disabled=True, password_hash=None, mobile=None, name=PURGED_NAME)
        )
        session.execute(
            update(AuditLog)
            .where(
                col(AuditLog.target) == no,
                or_(col(AuditLog.before).is_not(None), col(AuditLog.after).is_not(None)),
            )
            .values(before={"purged": True}, after={"purged": True})
        )
        audit.record(session, actor, ctx.now, "teacher.purge", "teacher", no)
    return no
