"""What the transfer services share: states and their names, the 备注 rule, the approver of a
move, lookups by 学号 and school id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import InputRejected, NotFound
from jjadmin.models import School, Teacher
from jjadmin.services.dbroles.rows import row_security

STATES = ("pending", "approved", "rejected", "cancelled")
STATE_NAMES = {
    "pending": "待审批",
    "approved": "已批准",
    "rejected": "已驳回",
    "cancelled": "已撤销",
}
LEVEL_NAMES = {"district": "区级审批", "city": "市级审批"}
NOTE_MAX = 500
CHUNK = 500


def clean_note(note: object) -> str | None:
    """备注: trimmed, at most NOTE_MAX characters. Raises InputRejected (1)."""
    if note is None:
        return None
    text = str(note).strip()
    if not text:
        return None
    if len(text) > NOTE_MAX:
        raise InputRejected(f"备注过长（{len(text)}个字符，最多{NOTE_MAX}个）")
    return text


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def _approver(src: School, dst: School) -> tuple[str, str | None]:
    if src.district_code == dst.district_code:
        return "district", src.district_code
    return "city", None


@dataclass(frozen=True)
class Subject:
    """A teacher of any school as a transfer request sees it."""

    id: int
    learner_no: str
    name: str
    school_id: int


def _teachers_by_learner_nos(
    session: Session, learner_nos: Sequence[str], *, lock: bool = False
) -> dict[str, Subject]:
    """学号 → the teacher, of whatever school (locked for the request when `lock`)."""
    found: dict[str, Subject] = {}
    limited = row_security(session)
    for chunk in _chunks(list(learner_nos)):
        if limited:
            rows = session.execute(
                text("SELECT * FROM jjadmin_transfer_teachers(CAST(:nos AS text[]), :lock)"),
                {"nos": list(chunk), "lock": lock},
            ).all()
        else:
            stmt = select(
                col(Teacher.id), col(Teacher.learner_no), col(Teacher.name), col(Teacher.school_id)
            ).where(col(Teacher.learner_no).in_(chunk))
            rows = session.execute(stmt.with_for_update() if lock else stmt).all()
        found.update({str(r[1]): Subject(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows})
    return found


def _teacher_by_learner_no(session: Session, learner_no: str, *, lock: bool = False) -> Subject:
    teacher = _teachers_by_learner_nos(session, [learner_no], lock=lock).get(learner_no)
    if teacher is None:
        raise NotFound(
            f"学号不存在：{learner_no}",
            hint="尚未拥有继续教育学号的教师请用 jjadmin teacher add 为其生成学号",
        )
    return teacher


def _school_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(col(School.id), col(School.name)).where(col(School.id).in_(ids))
    ).all()
    return {i or 0: n for i, n in rows}
