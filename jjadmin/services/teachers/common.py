"""What the teacher services share: table handles, the teacher in the actor's scope, masked
audit values, the account kept in step, the messages about another school's teacher."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from jjadmin.errors import InputRejected, InvalidValue, NotFound, PermissionDenied
from jjadmin.models import Account, Principal, School, Teacher, TeacherChange
from jjadmin.models import Sequence as SequenceRow
from jjadmin.rules.ids import IdNumber, check_birth_date, check_gender, normalize_text
from jjadmin.services.context import Actor
from jjadmin.services.scope import OUT_OF_SCOPE, school_in_scope
from jjadmin.services.teachers.views import mask_values

T: Table = Teacher.__table__  # type: ignore[attr-defined]
S: Table = School.__table__  # type: ignore[attr-defined]
A: Table = Account.__table__  # type: ignore[attr-defined]
P: Table = Principal.__table__  # type: ignore[attr-defined]
TC: Table = TeacherChange.__table__  # type: ignore[attr-defined]
SEQ: Table = SequenceRow.__table__  # type: ignore[attr-defined]

CHUNK = 500

# Fields an admin may change directly (`teacher set`, `--upsert`); name and ID number only
# through the info review (SPEC §6).
UPDATABLE = ("mobile", "stage", "subject", "title", "status", "email", "address")


def _find_teacher(session: Session, actor: Actor, learner_no: str) -> Teacher:
    """The teacher with this 学号 inside the actor's scope.

    Raises NotFound (4) when no such 学号 exists, PermissionDenied (3) when it is out of scope.
    """
    key = normalize_text(learner_no)
    if not key:
        raise InputRejected("学号不能为空")
    teacher = session.execute(select(Teacher).where(T.c.learner_no == key)).scalar_one_or_none()
    if teacher is None:
        raise NotFound(f"学号不存在：{key}")
    school = session.get(School, teacher.school_id)
    assert school is not None
    if actor.role == "teacher" and not actor.has_role("school"):
        if actor.teacher_id != teacher.id:
            raise PermissionDenied(OUT_OF_SCOPE)
    elif not school_in_scope(actor, school):
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能操作本单位管辖范围内的教师")
    return teacher


def _audit_safe(values: dict[str, Any]) -> dict[str, Any]:
    """Audit rows never hold a full ID number or mobile (the log is readable by admins)."""
    return mask_values(values, reveal=False)


def _sync_account(session: Session, teacher_id: int, changes: dict[str, Any]) -> None:
    """Keep the teacher's login account (name, bound mobile for SMS) in step with the record."""
    values = {k: changes[k] for k in ("name", "mobile") if k in changes}
    if values:
        session.execute(update(A).where(A.c.teacher_id == teacher_id).values(**values))


class _Existing(NamedTuple):
    id: int
    learner_no: str
    id_number: str
    name: str
    school_id: int
    mobile: str
    stage: str
    subject: str
    title: str | None
    status: str
    email: str | None
    address: str | None
    version: int


def _diff(old: _Existing | Teacher, values: dict[str, Any]) -> dict[str, Any]:
    """Updatable fields whose given (non-blank) value differs from the stored one."""
    return {
        k: values[k]
        for k in UPDATABLE
        if values.get(k) is not None and values[k] != getattr(old, k)
    }


def _consistency(ident: IdNumber, gender: object, birth: object) -> list[tuple[str, str, str]]:
    """(column, message, code) for a 性别 / 出生日期 that disagrees with the ID number."""
    if (gender is None or gender == ident.gender) and (
        birth is None or (type(birth) is date and birth == ident.birth_date)
    ):
        return []  # parsed cells that agree: the rules below would find nothing
    problems: list[tuple[str, str, str]] = []
    for column, check, value in (
        ("性别", check_gender, gender),
        ("出生日期", check_birth_date, birth),
    ):
        try:
            check(ident, value)  # type: ignore[operator]
        except InvalidValue as exc:
            problems.append((column, exc.message, exc.code))
    return problems


def _school_label(session: Session, school_id: int) -> tuple[str, str]:
    row = session.execute(select(S.c.code, S.c.name).where(S.c.id == school_id)).one()
    return str(row[0]), str(row[1])


def _other_school_message(learner_no: str, school_code: str, school_name: str) -> str:
    return f"该身份证号已属于{school_name}（{school_code}）的教师，学号 {learner_no}"


def _transfer_hint(learner_no: str, to_code: str | None) -> str:
    return f"调入本校请使用：jjadmin transfer request {learner_no} --to {to_code or '学校代码'}"


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]
