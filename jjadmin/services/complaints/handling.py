"""`complaint file` (a teacher, inside the window), `reply`, `close` (the teacher's district,
or the city)."""

from __future__ import annotations

from sqlalchemy import select, text

from jjadmin.errors import Conflict, InputRejected, NotFound, PermissionDenied
from jjadmin.models import Complaint, ComplaintReply, School
from jjadmin.services import audit
from jjadmin.services.complaints.common import (
    CLOSED,
    HANDLERS,
    MAX_BODY,
    MAX_TITLE,
    OPEN,
    REPLIED,
)
from jjadmin.services.complaints.window import open_window
from jjadmin.services.context import ServiceContext
from jjadmin.services.scope_rules import OUT_OF_SCOPE, school_in_scope


def _texts(title: str, body: str) -> tuple[str, str]:
    title = title.strip()  # as written: no NFKC (it would turn "：" into ":")
    if not title:
        raise InputRejected("投诉标题不能为空")
    if len(title) > MAX_TITLE:
        raise InputRejected(f"投诉标题最多 {MAX_TITLE} 个字（现有 {len(title)} 个）")
    if not body.strip():
        raise InputRejected("投诉内容不能为空")
    if len(body) > MAX_BODY:
        raise InputRejected(f"投诉内容最多 {MAX_BODY} 个字（现有 {len(body)} 个）")
    return title, body


def file_complaint(ctx: ServiceContext, *, title: str, body: str) -> int:
    """A teacher's real-name complaint about 年度验证, inside the open window; handled by
    the teacher's district, kept with the teacher's school at filing time. Returns its id.

    Raises InputRejected (1), PermissionDenied (3: not a teacher), Conflict (5: outside the
    window, naming it).
    """
    actor = ctx.require("teacher", action="提交投诉")
    if actor.teacher_id is None:
        raise PermissionDenied("只有教师本人可以提交投诉")
    title, body = _texts(title, body)
    with ctx.raw_reading() as db:
        window = open_window(db, ctx.now)
    with ctx.transaction() as s:
        school_id = s.execute(
            text("SELECT school_id FROM teacher WHERE id = :t"), {"t": actor.teacher_id}
        ).scalar_one()
        c = Complaint(
            teacher_id=actor.teacher_id,
            school_id=school_id,
            topic=title,
            body=body,
            state=OPEN,
            year=window.year,
            filed_at=ctx.now,
        )
        s.add(c)
        s.flush()
        assert c.id is not None
        audit.record(
            s,
            actor,
            ctx.now,
            "complaint.file",
            "complaint",
            str(c.id),
            after={"title": title, "year": window.year},
        )
        return c.id


def _handled(ctx: ServiceContext, s: object, complaint_id: int, action: str) -> Complaint:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    actor = ctx.actor
    found = s.execute(
        select(Complaint, School)
        .join(School, School.id == Complaint.school_id)  # type: ignore[arg-type]
        .where(Complaint.id == complaint_id)  # type: ignore[arg-type]
        .with_for_update(of=Complaint)  # type: ignore[arg-type]
    ).one_or_none()
    if found is None:
        raise NotFound(f"投诉不存在：{complaint_id}")
    complaint, school = found
    if not school_in_scope(actor, school):
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能处理本区学校教师的投诉")
    if complaint.state == CLOSED:
        raise Conflict(f"投诉 {complaint_id} 已关闭，不能{action}")
    return complaint


def reply_complaint(ctx: ServiceContext, complaint_id: int, *, reply: str) -> str:
    """Reply (the district of the teacher's school, or the city); the complaint becomes
    已回复, each reply kept. Returns the new state.

    Raises InputRejected (1: empty), PermissionDenied (3: a school, another district),
    NotFound (4), Conflict (5: closed).
    """
    actor = ctx.require(*HANDLERS, action="回复投诉（投诉由教师所在区的区级管理员处理）")
    reply = reply.strip()
    if not reply:
        raise InputRejected("回复内容不能为空")
    if len(reply) > MAX_BODY:
        raise InputRejected(f"回复内容最多 {MAX_BODY} 个字")
    with ctx.transaction() as s:
        c = _handled(ctx, s, complaint_id, "回复")
        before = c.state
        s.add(
            ComplaintReply(
                complaint_id=complaint_id,
                text=reply,
                replied_by=actor.account_id,
                replied_at=ctx.now,
            )
        )
        if c.replied_at is None:
            c.replied_at = ctx.now  # the first reply: days to reply count to it
        c.reply, c.replied_by, c.state = reply, actor.account_id, REPLIED
        audit.record(
            s,
            actor,
            ctx.now,
            "complaint.reply",
            "complaint",
            str(complaint_id),
            before={"state": before},
            after={"state": REPLIED, "reply": reply[:200]},
        )
    return REPLIED


def close_complaint(ctx: ServiceContext, complaint_id: int) -> str:
    """Close a complaint (its district or the city), replied or not.

    Raises PermissionDenied (3), NotFound (4), Conflict (5: closed already).
    """
    actor = ctx.require(*HANDLERS, action="关闭投诉（投诉由教师所在区的区级管理员处理）")
    with ctx.transaction() as s:
        c = _handled(ctx, s, complaint_id, "再关闭")
        before = c.state
        c.state, c.closed_at, c.closed_by = CLOSED, ctx.now, actor.account_id
        audit.record(
            s,
            actor,
            ctx.now,
            "complaint.close",
            "complaint",
            str(complaint_id),
            before={"state": before},
            after={"state": CLOSED},
        )
    return CLOSED
