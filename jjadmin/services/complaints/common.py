"""What every complaint use case shares: the states, who reads, and the visible rows.

The seed (投诉意见管理): "学员对年度验证有相关的问题，在特定的时间内学员可在个人学习平台进行
相关问题的实名投诉。区管理员可在投诉意见管理处理、查看相关问题" — the teacher's district handles
(reply, close), the city oversees every district; the teacher's school (at filing time) reads
its teachers' complaints; 投诉统计 is "以学校为单位".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jjadmin.errors import InvalidValue
from jjadmin.rawdb import RawReader, as_utc
from jjadmin.services.context import Actor
from jjadmin.services.scope_rules import school_scope_sql

OPEN, REPLIED, CLOSED = "待处理", "已回复", "已关闭"
STATES = (OPEN, REPLIED, CLOSED)
READERS = ("city", "system", "district", "school")
HANDLERS = ("city", "district")
MAX_TITLE = 200
MAX_BODY = 20_000

VIEW_SQL = """
SELECT c.id, t.learner_no, t.name, s.code, s.name, c.year, c.topic, c.state,
       c.filed_at, c.replied_at, c.closed_at, c.body
FROM complaint c
JOIN teacher t ON t.id = c.teacher_id
JOIN school s ON s.id = c.school_id
"""


@dataclass
class ReplyView:
    text: str
    replied_by: str
    replied_at: datetime | None


@dataclass
class ComplaintView:
    id: int
    learner_no: str
    name: str
    school_code: str
    school_name: str
    year: int | None
    title: str
    state: str
    filed_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    body: str = ""
    replies: list[ReplyView] = field(default_factory=list)


def parse_state(value: str) -> str:
    from jjadmin.rules.ids import normalize_text

    state = normalize_text(value)
    if state not in STATES:
        raise InvalidValue(f"投诉状态“{value}”无效，应为 {'、'.join(STATES)}")
    return state


def visible_sql(actor: Actor, *, own: bool = False) -> tuple[str, dict[str, Any]]:
    """A WHERE condition on complaint c / school s: the teacher's own (`own`), or what the
    actor's scope covers (a school its teachers', a district its schools', the city all)."""
    if own:
        return "c.teacher_id = :own_teacher", {"own_teacher": actor.teacher_id or 0}
    return school_scope_sql(actor, "s")


def view(row: tuple[Any, ...]) -> ComplaintView:
    return ComplaintView(
        id=int(row[0]),
        learner_no=str(row[1]),
        name=str(row[2]),
        school_code=str(row[3]),
        school_name=str(row[4]),
        year=int(row[5]) if row[5] is not None else None,
        title=str(row[6]),
        state=str(row[7]),
        filed_at=as_utc(row[8]),
        replied_at=as_utc(row[9]),
        closed_at=as_utc(row[10]),
        body=str(row[11]),
    )


def replies(db: RawReader, complaint_id: int) -> list[ReplyView]:
    rows = db.rows(
        "SELECT r.text, a.name, a.username, r.replied_at FROM complaint_reply r "
        "LEFT JOIN account a ON a.id = r.replied_by WHERE r.complaint_id = :id "
        "ORDER BY r.replied_at, r.id",
        {"id": complaint_id},
    )
    return [ReplyView(str(r[0]), str(r[1] or r[2] or ""), as_utc(r[3])) for r in rows]
