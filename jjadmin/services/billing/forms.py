"""附表1 (个人取消特殊用户申请表) and 附表2 (单位取消特殊用户登记表), prefilled from the
database for the teachers' open flags (the exporters draw them as xlsx or PDF). They carry
ID numbers: the SMS verification is needed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from jjadmin.clock import local
from jjadmin.errors import Conflict, PermissionDenied
from jjadmin.models import Course, Enrollment, School, SpecialUser, Teacher
from jjadmin.services.billing.common import teacher_by_key
from jjadmin.services.context import ServiceContext
from jjadmin.services.identity import require_verified
from jjadmin.services.scope import OUT_OF_SCOPE, get_school, school_in_scope

__all__ = [
    "CLEARING_REASONS",
    "INDIVIDUAL_NOTES",
    "CollectiveForm",
    "CollectiveLine",
    "IndividualForm",
    "collective_form",
    "individual_form",
]

FORM_ROLES = ("city", "district", "school")
CLEARING_REASONS = ("新学期无法选课", "无法进行单位调动")
INDIVIDUAL_NOTES = (
    "第一次被列为特殊用户的学员需凭本人有效证件到广州市教师远程教育中心（下面简称中心）"
    "取消特殊用户记录。",
    "第二次被列为特殊用户的学员需凭盖有学校公章的证明及本人有效证件到中心取消特殊用户记录。",
    "如因学员取消特殊用户造成数据延迟或数据出错，无法正常选课以及单位调动等，"
    "须由学员自行承担相关后果。",
)


@dataclass(frozen=True)
class FlagCourseLine:
    period: str
    course_name: str


@dataclass(frozen=True)
class IndividualForm:
    name: str
    school_name: str
    id_number: str
    learner_no: str
    mobile: str
    email: str | None
    courses: list[FlagCourseLine]
    times: int
    issued_on: date


@dataclass(frozen=True)
class CollectiveLine:
    seq: int
    name: str
    learner_no: str
    id_number: str
    courses: str  # 取消课程: "2601期 课程A、课程B"


@dataclass(frozen=True)
class CollectiveForm:
    school_code: str
    school_name: str
    seal_name: str
    lines: list[CollectiveLine]
    issued_on: date


def _courses(session: Any, flags: list[SpecialUser]) -> dict[int, str]:
    ids = sorted({int(i) for f in flags for i in f.enrollment_ids})
    names: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        names.update(
            session.execute(
                select(col(Enrollment.id), col(Course.name))
                .join(Course, col(Course.id) == col(Enrollment.course_id))
                .where(col(Enrollment.id).in_(ids[i : i + 500]))
            ).all()
        )
    return names


def individual_form(ctx: ServiceContext, *, learner_no: str) -> IndividualForm:
    """附表1 for one teacher (by 学号 or 身份证号) with the courses of the open flags.

    Raises VerificationRequired / PermissionDenied (3), InvalidValue (1), NotFound (4),
    Conflict (5: not a special user).
    """
    actor = ctx.require(*FORM_ROLES, action="生成取消特殊用户申请表")
    require_verified(ctx, "生成取消特殊用户申请表（含身份证号）")
    with ctx.reading() as session:
        teacher = teacher_by_key(session, learner_no, ctx.now)
        school = session.get(School, teacher.school_id)
        assert school is not None
        if not school_in_scope(actor, school):
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能为本单位管辖范围内的教师生成申请表")
        flags = list(
            session.execute(
                select(SpecialUser)
                .where(
                    col(SpecialUser.teacher_id) == teacher.id,
                    col(SpecialUser.cleared_at).is_(None),
                )
                .order_by(col(SpecialUser.period), col(SpecialUser.id))
            ).scalars()
        )
        if not flags:
            raise Conflict(f"{teacher.name}（{teacher.learner_no}）不是特殊用户，无需申请取消")
        names = _courses(session, flags)
        lines = [
            FlagCourseLine(f.period, names[int(i)])
            for f in flags
            for i in f.enrollment_ids
            if int(i) in names
        ]
        return IndividualForm(
            teacher.name,
            school.name,
            teacher.id_number,
            teacher.learner_no,
            teacher.mobile,
            teacher.email,
            lines,
            max(f.occurrence for f in flags),
            local(ctx.now).date(),
        )


def collective_form(ctx: ServiceContext, *, school: str) -> CollectiveForm:
    """附表2 for one school: every teacher of it with an open flag, and the courses.

    Raises VerificationRequired / PermissionDenied (3), NotFound (4), Conflict (5: the school
    has no special user).
    """
    actor = ctx.require(*FORM_ROLES, action="生成单位取消特殊用户登记表")
    require_verified(ctx, "生成单位取消特殊用户登记表（含身份证号）")
    with ctx.reading() as session:
        found = get_school(session, actor, school.strip())
        rows = session.execute(
            select(SpecialUser, Teacher)
            .join(Teacher, col(Teacher.id) == col(SpecialUser.teacher_id))
            .where(col(Teacher.school_id) == found.id, col(SpecialUser.cleared_at).is_(None))
            .order_by(col(Teacher.learner_no), col(SpecialUser.period))
        ).all()
        if not rows:
            raise Conflict(f"{found.name}目前没有特殊用户")
        names = _courses(session, [f for f, _ in rows])
        per_teacher: dict[int, tuple[Teacher, list[str]]] = {}
        by_period: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for flag, teacher in rows:
            per_teacher.setdefault(teacher.id or 0, (teacher, []))
            for i in flag.enrollment_ids:
                if int(i) in names:
                    by_period[teacher.id or 0][flag.period].append(names[int(i)])
        lines = []
        for seq, (tid, (teacher, _)) in enumerate(per_teacher.items(), start=1):
            text = "；".join(
                f"{period}期 {'、'.join(courses)}" for period, courses in by_period[tid].items()
            )
            lines.append(
                CollectiveLine(seq, teacher.name, teacher.learner_no, teacher.id_number, text)
            )
        return CollectiveForm(found.code, found.name, found.seal_name, lines, local(ctx.now).date())
