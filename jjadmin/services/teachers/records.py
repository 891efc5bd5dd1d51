"""教师信息: add one teacher (`teacher add`), set the fields an admin may change (`teacher set`),
archive (`teacher archive`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from jjadmin.clock import local
from jjadmin.errors import Conflict, InputRejected, InvalidValue
from jjadmin.models import School
from jjadmin.rules.enums import TeacherStatus, check_in_list
from jjadmin.rules.ids import (
    normalize_mobile,
    normalize_school_code,
    normalize_text,
    parse_date,
    parse_gender,
    parse_id_number,
)
from jjadmin.rules.people import normalize_address, normalize_email, normalize_name
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.scope import get_school
from jjadmin.services.teachers.common import (
    P,
    T,
    _audit_safe,
    _consistency,
    _diff,
    _Existing,
    _find_teacher,
    _other_school_message,
    _school_label,
    _sync_account,
    _transfer_hint,
)
from jjadmin.services.teachers.learner_numbers import allocate_learner_numbers
from jjadmin.services.teachers.roster_insert import _insert_teachers, _NewTeachers
from jjadmin.services.teachers.roster_lookup import _existing_by_id_number
from jjadmin.services.teachers.school_admins import end_school_admin
from jjadmin.services.teachers.views import ADMIN_ROLES, check_status


@dataclass(frozen=True)
class AddResult:
    learner_no: str
    created: bool
    changed: list[str]


@dataclass(frozen=True)
class SetResult:
    learner_no: str
    changed: list[str]


@dataclass(frozen=True)
class ArchiveResult:
    status: str
    changed: list[str]
    unchanged: list[str]
    principals_revoked: list[str]
    admins_revoked: list[str] = field(default_factory=list)


def create_teacher(
    ctx: ServiceContext,
    *,
    name: str,
    id_number: str,
    mobile: str,
    school: str,
    stage: str,
    subject: str,
    title: str | None = None,
    status: str | None = None,
    gender: str | None = None,
    birth_date: str | None = None,
    email: str | None = None,
    address: str | None = None,
    upsert: bool = False,
) -> AddResult:
    """Add one teacher and give them a new 学号 (or, with `upsert`, update the same school's).

    Raises InputRejected (1: bad value), PermissionDenied (3), NotFound (4: school),
    Conflict (5: the ID belongs to another school's teacher — use `transfer request`; the
    teacher exists and `upsert` is off; the name differs — use the info review).
    """
    actor = ctx.require(*ADMIN_ROLES, action="新增教师")
    today = local(ctx.now).date()
    ident = parse_id_number(id_number, today=today)
    values: dict[str, Any] = {
        "name": normalize_name(name),
        "mobile": normalize_mobile(mobile),
        "stage": check_in_list("任教学段", stage),
        "subject": check_in_list("任教学科", subject),
        "title": check_in_list("职称", title) if _given(title) else None,
        "status": check_status(status) if _given(status) else None,
        "email": normalize_email(email) if _given(email) else None,
        "address": normalize_address(address) if _given(address) else None,
    }
    given_gender = parse_gender(gender) if _given(gender) else None
    given_birth = parse_date(birth_date) if _given(birth_date) else None
    for _column, message, problem in _consistency(ident, given_gender, given_birth):
        raise InvalidValue(message, code=problem)
    school_code = normalize_school_code(school)
    with ctx.transaction() as session:
        target = get_school(session, actor, school_code)
        old = _existing_by_id_number(session, [ident.value]).get(ident.value)
        if old is not None:
            return _add_existing(session, ctx, actor, old, target, values, upsert=upsert)
        (learner_no,) = allocate_learner_numbers(session, ctx.now, 1)
        one = _NewTeachers.of_rows([(values, ident, target.id or 0)])
        _insert_teachers(session, ctx.now, None, one, [learner_no])
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.add",
            "teacher",
            learner_no,
            after=_audit_safe(
                {
                    **{k: v for k, v in values.items() if v is not None},
                    "id_number": ident.value,
                    "school_code": target.code,
                }
            ),
        )
        return AddResult(learner_no, True, [])


def _given(value: str | None) -> bool:
    return value is not None and bool(normalize_text(value))


def _add_existing(
    session: Session,
    ctx: ServiceContext,
    actor: Actor,
    old: _Existing,
    target: School,
    values: dict[str, Any],
    *,
    upsert: bool,
) -> AddResult:
    if old.school_id != target.id:
        other_code, other_name = _school_label(session, old.school_id)
        raise Conflict(
            _other_school_message(old.learner_no, other_code, other_name),
            hint=_transfer_hint(old.learner_no, target.code),
        )
    if values["name"] != old.name:
        raise Conflict(
            f"该教师已存在（学号 {old.learner_no}），姓名与系统中的“{old.name}”不一致；"
            "姓名和身份证号只能通过信息审核修改",
            hint=f"jjadmin teacher submit {old.learner_no} --name 新姓名，再 teacher review 审核",
        )
    if not upsert:
        raise Conflict(
            f"该教师已存在（学号 {old.learner_no}），如需更新请加 --upsert",
            data={"learner_no": old.learner_no},
        )
    changes = _diff(old, values)
    if changes:
        before = {k: getattr(old, k) for k in changes}
        session.execute(
            update(T)
            .where(T.c.id == old.id)
            .values(**changes, version=old.version + 1, updated_at=ctx.now)
        )
        _sync_account(session, old.id, changes)
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.update",
            "teacher",
            old.learner_no,
            before=_audit_safe(before),
            after=_audit_safe(changes),
        )
    return AddResult(old.learner_no, False, sorted(changes))


def set_teacher(
    ctx: ServiceContext,
    learner_no: str,
    *,
    mobile: str | None = None,
    title: str | None = None,
    stage: str | None = None,
    subject: str | None = None,
    email: str | None = None,
    address: str | None = None,
) -> SetResult:
    """Change the fields an admin may set directly (not name or ID number: see review).

    Raises InputRejected (1), NotFound (4), PermissionDenied (3). Unchanged values are fine.
    """
    actor = ctx.require(*ADMIN_ROLES, action="修改教师信息")
    given = {
        "mobile": normalize_mobile(mobile) if mobile is not None else None,
        "title": check_in_list("职称", title) if title is not None else None,
        "stage": check_in_list("任教学段", stage) if stage is not None else None,
        "subject": check_in_list("任教学科", subject) if subject is not None else None,
        "email": normalize_email(email) if email is not None else None,
        "address": normalize_address(address) if address is not None else None,
    }
    if all(v is None for v in given.values()):
        raise InputRejected(
            "没有要修改的字段",
            hint="例如 --mobile 手机号 --title 职称；姓名和身份证号请用 teacher submit/review",
        )
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        changes = {k: v for k, v in given.items() if v is not None and getattr(t, k) != v}
        if changes:
            before = {k: getattr(t, k) for k in changes}
            for k, v in changes.items():
                setattr(t, k, v)
            t.version += 1
            t.updated_at = ctx.now
            _sync_account(session, t.id or 0, changes)
            audit.record(
                session,
                actor,
                ctx.now,
                "teacher.set",
                "teacher",
                t.learner_no,
                before=_audit_safe(before),
                after=_audit_safe(changes),
            )
        return SetResult(t.learner_no, sorted(changes))


def archive_teachers(ctx: ServiceContext, learner_nos: Sequence[str], status: str) -> ArchiveResult:
    """归档: set 在岗状态 of every listed teacher (离职/退休, or back to 在职); all or nothing.

    A principal or granted school admin archived as 离职/退休 loses the grant.
    Raises InputRejected (1: unknown status, no 学号), NotFound (4), PermissionDenied (3).
    """
    actor = ctx.require(*ADMIN_ROLES, action="归档教师")
    target = check_status(status)
    wanted = list(dict.fromkeys(normalize_text(n) for n in learner_nos if normalize_text(n)))
    if not wanted:
        raise InputRejected("请给出至少一个学号")
    changed: list[str] = []
    unchanged: list[str] = []
    revoked: list[str] = []
    admins: list[str] = []
    with ctx.transaction() as session:
        teachers = [_find_teacher(session, actor, n) for n in wanted]
        for t in teachers:
            if t.status == target:
                unchanged.append(t.learner_no)
                continue
            before = t.status
            t.status = target
            t.version += 1
            t.updated_at = ctx.now
            changed.append(t.learner_no)
            audit.record(
                session,
                actor,
                ctx.now,
                "teacher.archive",
                "teacher",
                t.learner_no,
                before={"status": before},
                after={"status": target},
            )
            if target != TeacherStatus.ACTIVE.value:
                gone = session.execute(delete(P).where(P.c.teacher_id == t.id))
                if gone.rowcount:  # type: ignore[attr-defined]
                    revoked.append(t.learner_no)
                    audit.record(
                        session,
                        actor,
                        ctx.now,
                        "teacher.principal.revoke",
                        "teacher",
                        t.learner_no,
                        after={"reason": f"归档为{target}"},
                    )
                reason = f"归档为{target}"
                if end_school_admin(session, actor, ctx.now, t.id or 0, t.learner_no, reason):
                    admins.append(t.learner_no)
    return ArchiveResult(target, changed, unchanged, revoked, admins)
