"""校本课程: a school declares (or revises) a course; its district or the city approves or
rejects it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from jjadmin.errors import Conflict, InputRejected, InvalidValue, NotFound, PermissionDenied
from jjadmin.models import Course, School
from jjadmin.rules.codes import normalize_course_code
from jjadmin.rules.courses import (
    APPROVAL_LABELS,
    APPROVED,
    PENDING,
    REJECTED,
    check_text,
    parse_capacity,
    parse_value_set,
)
from jjadmin.rules.enums import check_in_list
from jjadmin.rules.money import parse_hours, parse_money
from jjadmin.rules.windows import declaration_deadline, declarations_open
from jjadmin.services import audit
from jjadmin.services.context import ServiceContext
from jjadmin.services.courses.common import SCHOOL_LEVEL, CourseView, course_view
from jjadmin.services.courses.visibility import get_course
from jjadmin.services.period_lookup import current_period_code, get_period
from jjadmin.services.scope import OUT_OF_SCOPE


@dataclass(frozen=True)
class Declaration:
    """What a school declares for a 校本培训 course (`course declare`)."""

    code: str
    name: str
    hours: str | Decimal | int
    hour_type: str
    course_type: str
    fee: str | Decimal | int = 0
    material_fee: str | Decimal | int = 0
    attribute: str | None = None
    lecturer: str | None = None
    audience: str | None = None
    capacity: str | int | None = None
    stages: str | None = None
    subjects: str | None = None


def _clean_declaration(d: Declaration) -> dict[str, Any]:
    """Validated course attributes. Raises InvalidValue (1)."""

    def labelled(label: str, fn: Any, value: Any) -> Any:
        try:
            return fn(value)
        except InvalidValue as exc:
            raise InvalidValue(f"{label}：{exc.message}", code=exc.code) from None

    hours = labelled("学时", parse_hours, d.hours)
    if hours <= 0:
        raise InvalidValue("学时必须大于 0", code="hours-invalid")
    return {
        "code": normalize_course_code(d.code),
        "name": check_text(d.name, label="课程名称", max_length=200, required=True),
        "hours": hours,
        "hour_type": check_in_list("学时类型", d.hour_type),
        "course_type": check_in_list("课程类型", d.course_type),
        "fee": labelled("培训费用", parse_money, d.fee),
        "material_fee": labelled("教材费用", parse_money, d.material_fee),
        "attribute": check_in_list("课程属性", d.attribute) if d.attribute else None,
        "lecturer": check_text(d.lecturer, label="主讲教师", max_length=100),
        "audience": check_text(d.audience, label="培训对象", max_length=200),
        "capacity": parse_capacity(d.capacity),
        "stages": parse_value_set("任教学段", d.stages),
        "subjects": parse_value_set("任教学科", d.subjects),
    }


def _deadline_text(period: str) -> str:
    return declaration_deadline(period).strftime("%Y-%m-%d")


def declare_course(
    ctx: ServiceContext, *, declaration: Declaration, period: str | None = None
) -> CourseView:
    """A school declares (or, while pending or after a rejection, revises) a 校本培训 course.

    The period defaults to the current one; declarations close on 12-31 of the period's year.
    Raises PermissionDenied (3, not a school admin), InvalidValue/InputRejected (1: bad value,
    no current period), NotFound (4: no such period), Conflict (5: deadline passed, course
    already approved, code taken by another course).
    """
    actor = ctx.require("school", action="申报校本课程")
    values = _clean_declaration(declaration)
    school_id = actor.acting_school_id
    with ctx.transaction() as session:
        if period is None:
            code = current_period_code(session, ctx.now)
            if code is None:
                raise InputRejected(
                    "当前没有进行中的期数，请用 --period 指定期数",
                    hint="jjadmin period list 查看已有期数",
                )
            period = code
        p = get_period(session, period)
        if not declarations_open(p.code, ctx.now):
            raise Conflict(
                f"{p.code} 期校本课程申报已于 {_deadline_text(p.code)} 截止",
                hint="请在下一期申报",
            )
        school = session.get(School, school_id)
        if school is None:  # pragma: no cover - an acting school always exists
            raise NotFound("学校不存在")
        old = session.execute(
            select(Course)
            .where(col(Course.period) == p.code, col(Course.code) == values["code"])
            .with_for_update()
        ).scalar_one_or_none()
        fixed: dict[str, Any] = {
            "level": SCHOOL_LEVEL,
            "charging_unit": school.name[:100],
            "declarer": school.name[:100],
            "district_code": school.district_code,
            "school_id": school.id,
        }
        if old is None:
            course = Course(
                period=p.code,
                **values,
                **fixed,
                status="上线",
                approval=PENDING,
                declared_by=actor.account_id,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
            session.add(course)
            try:
                session.flush()
            except IntegrityError as exc:
                raise Conflict(f"本期已有课程使用编号 {values['code']}，请换一个编号") from exc
            audit.record(
                session,
                actor,
                ctx.now,
                "course.declare",
                "course",
                f"{p.code}/{course.code}",
                after={**values, "school_code": school.code},
            )
            return course_view(course, school.code)
        if old.level != SCHOOL_LEVEL or old.school_id != school.id:
            raise Conflict(f"本期已有课程使用编号 {values['code']}，请换一个编号")
        if old.approval == APPROVED:
            raise Conflict(
                f"校本课程 {old.code} 已审核通过，不能再修改",
                hint="如需调整请联系区级培训管理员",
            )
        before = {k: getattr(old, k) for k in values if k != "code"}
        changes = {k: v for k, v in values.items() if k != "code" and before[k] != v}
        resubmitted = old.approval == REJECTED
        for k, v in changes.items():
            setattr(old, k, v)
        old.approval = PENDING
        old.approval_reason = None
        old.declared_by = actor.account_id
        old.version += 1
        old.updated_at = ctx.now
        audit.record(
            session,
            actor,
            ctx.now,
            "course.resubmit" if resubmitted else "course.declare.update",
            "course",
            f"{p.code}/{old.code}",
            before={k: before[k] for k in changes}
            | ({"approval": REJECTED} if resubmitted else {}),
            after=changes | ({"approval": PENDING} if resubmitted else {}),
        )
        session.flush()
        return course_view(old, school.code)


def _review(
    ctx: ServiceContext, *, period: str, code: str, approve: bool, reason: str | None
) -> CourseView:
    actor = ctx.require("district", "city", action="审核校本课程")
    note = (reason or "").strip() or None
    if not approve and note is None:
        raise InputRejected("驳回校本课程必须填写原因", hint="--reason 驳回原因")
    if note is not None and len(note) > 500:
        raise InputRejected(f"原因过长（{len(note)}个字符，最多500个）")
    with ctx.transaction() as session:
        get_period(session, period)
        course = get_course(session, period, code, for_update=True)
        if course.level != SCHOOL_LEVEL:
            raise Conflict(f"课程 {course.code} 是{course.level}课程，不需要审核")
        school = session.get(School, course.school_id) if course.school_id else None
        if actor.role == "district" and (
            school is None or school.district_code != actor.district_code
        ):
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能审核本区学校申报的校本课程")
        if course.approval != PENDING:
            label = APPROVAL_LABELS.get(course.approval, course.approval)
            raise Conflict(f"校本课程 {course.code} 已审核（{label}），不能重复审核")
        if not declarations_open(course.period, ctx.now):
            raise Conflict(
                f"{course.period} 期校本课程审核已于 {_deadline_text(course.period)} 截止"
            )
        course.approval = APPROVED if approve else REJECTED
        course.approval_reason = note
        course.approved_by = actor.account_id
        course.version += 1
        course.updated_at = ctx.now
        audit.record(
            session,
            actor,
            ctx.now,
            "course.approve" if approve else "course.reject",
            "course",
            f"{course.period}/{course.code}",
            before={"approval": PENDING},
            after={"approval": course.approval, "reason": note},
        )
        session.flush()
        return course_view(course, school.code if school else None)


def approve_course(ctx: ServiceContext, *, period: str, code: str) -> CourseView:
    """The district of the course's school (or the city) approves a pending 校本 course.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3), Conflict (5: not pending, not
    校本, review deadline 12-31 passed).
    """
    return _review(ctx, period=period, code=code, approve=True, reason=None)


def reject_course(ctx: ServiceContext, *, period: str, code: str, reason: str) -> CourseView:
    """Reject a pending 校本 course with a reason (the school may revise and resubmit).

    Raises InputRejected (1, no reason), NotFound (4), PermissionDenied (3), Conflict (5).
    """
    return _review(ctx, period=period, code=code, approve=False, reason=reason)
