"""调动审批: approve (the teacher moves), reject, or cancel a pending transfer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin import faults
from jjadmin.errors import Conflict, InputRejected, PermissionDenied
from jjadmin.models import Account, Principal, School, Teacher, Transfer
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.scope import OUT_OF_SCOPE
from jjadmin.services.teachers.school_admins import end_school_admin
from jjadmin.services.transfers.blocks import _block_message, _district_names, _find_blocks
from jjadmin.services.transfers.common import NOTE_MAX, STATE_NAMES, _school_names
from jjadmin.services.transfers.views import TransferView, _get, _load_view, _schools, _visible

CROSS_DISTRICT_RULE = "跨区调动必须由市级教师培训管理机构（广州市中小学教师培训中心）审批"


def _check_decider(actor: Actor, t: Transfer, src: School, dst: School, verb: str) -> None:
    """Same district: that district (or the city); across districts: the city only."""
    if actor.role == "city":
        return
    if t.approver_level == "district" and t.approver_district == actor.district_code:
        return
    if not _visible(actor, src, dst):
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能审批本区学校之间的调动申请")
    if t.approver_level == "city":
        raise PermissionDenied(f"不能{verb}该调动申请：{CROSS_DISTRICT_RULE}")
    raise PermissionDenied(f"不能{verb}该调动申请：区内调动由该区教师培训机构管理员审批")


def _require_pending(t: Transfer, verb: str) -> None:
    if t.state != "pending":
        raise Conflict(
            f"调动申请 #{t.id} {STATE_NAMES.get(t.state, t.state)}，不能再{verb}",
            hint=f"查看：jjadmin transfer show {t.id}",
        )


def approve_transfer(ctx: ServiceContext, transfer_id: int) -> TransferView:
    """Approve and move the teacher (离职 → 在职, principal and school admin grants end, login
    follows).

    Raises PermissionDenied (3), NotFound (4), Conflict (5: not pending, teacher became a
    special user or has unpaid earlier enrollments, teacher no longer in the old school).
    """
    actor = ctx.require("city", "district", action="审批教师调动")
    with ctx.transaction() as session:
        t = _get(session, transfer_id, lock=True)
        faults.point("transfer.decide")
        src, dst = _schools(session, t)
        _check_decider(actor, t, src, dst, "批准")
        _require_pending(t, "批准")
        teacher = session.execute(
            select(Teacher).where(col(Teacher.id) == t.teacher_id).with_for_update()
        ).scalar_one()
        who = f"教师 {teacher.name}（{teacher.learner_no}）"
        if teacher.school_id != t.from_school_id:
            raise Conflict(
                f"{who}已不在{src.name}，该调动申请已失效，不能批准",
                hint=f"驳回该申请：jjadmin transfer reject {t.id} --reason 申请已失效",
            )
        blocks = _find_blocks(session, [teacher.id or 0], ctx.now).get(teacher.id or 0)
        if blocks is not None:
            found = _block_message(
                blocks,
                pending_ok_to=t.id,
                districts=_district_names(session),
                school_names=_school_names(session, [blocks.pending[1]] if blocks.pending else []),
            )
            if found is not None:
                raise Conflict(f"{who}{found[0]}，不能批准调动", hint=found[1])
        _move_teacher(session, actor, ctx.now, teacher, src, dst)
        t.state = "approved"
        t.decided_by = actor.account_id
        t.decided_at = ctx.now
        audit.record(
            session,
            actor,
            ctx.now,
            "transfer.approve",
            "transfer",
            str(t.id),
            before={"state": "pending"},
            after={"state": "approved", "learner_no": teacher.learner_no},
        )
        session.flush()
        return _load_view(session, t.id or 0)


def _move_teacher(
    session: Session, actor: Actor, now: datetime, teacher: Teacher, src: School, dst: School
) -> None:
    before = {"school_code": src.code, "status": teacher.status, "version": teacher.version}
    teacher.school_id = dst.id or 0
    if teacher.status == "离职":
        teacher.status = "在职"
    teacher.version += 1
    teacher.updated_at = now
    moved = session.execute(
        update(Account).where(col(Account.teacher_id) == teacher.id).values(school_id=dst.id)
    )
    audit.record(
        session,
        actor,
        now,
        "teacher.transfer",
        "teacher",
        teacher.learner_no,
        before=before,
        after={
            "school_code": dst.code,
            "status": teacher.status,
            "version": teacher.version,
            "account_moved": bool(moved.rowcount),  # type: ignore[attr-defined]
        },
    )
    grant = session.execute(
        select(Principal).where(col(Principal.teacher_id) == teacher.id)
    ).scalar_one_or_none()
    if grant is not None:
        session.execute(delete(Principal).where(col(Principal.teacher_id) == teacher.id))
        audit.record(
            session,
            actor,
            now,
            "principal.end",
            "teacher",
            teacher.learner_no,
            before={"school_code": src.code, "granted_at": grant.granted_at},
            after={"reason": "调动"},
        )
    end_school_admin(session, actor, now, teacher.id or 0, teacher.learner_no, "调动")


def reject_transfer(ctx: ServiceContext, transfer_id: int, *, reason: str) -> TransferView:
    """Reject a pending transfer; a reason is required.

    Raises InputRejected (1: no reason), PermissionDenied (3), NotFound (4), Conflict (5).
    """
    actor = ctx.require("city", "district", action="审批教师调动")
    text = (reason or "").strip()
    if not text:
        raise InputRejected("驳回调动申请必须填写原因", hint="--reason 原因")
    if len(text) > NOTE_MAX:
        raise InputRejected(f"原因过长（{len(text)}个字符，最多{NOTE_MAX}个）")
    with ctx.transaction() as session:
        t = _get(session, transfer_id, lock=True)
        src, dst = _schools(session, t)
        _check_decider(actor, t, src, dst, "驳回")
        _require_pending(t, "驳回")
        t.state = "rejected"
        t.reason = text
        t.decided_by = actor.account_id
        t.decided_at = ctx.now
        audit.record(
            session,
            actor,
            ctx.now,
            "transfer.reject",
            "transfer",
            str(t.id),
            before={"state": "pending"},
            after={"state": "rejected", "reason": text},
        )
        session.flush()
        return _load_view(session, t.id or 0)


def cancel_transfer(ctx: ServiceContext, transfer_id: int) -> TransferView:
    """Withdraw a pending request: the requesting (receiving) school, its requester, or the city.

    Raises PermissionDenied (3), NotFound (4), Conflict (5: no longer pending).
    """
    actor = ctx.require("city", "district", "school", action="撤销调动申请")
    with ctx.transaction() as session:
        t = _get(session, transfer_id, lock=True)
        src, dst = _schools(session, t)
        allowed = (
            actor.role == "city"
            or (actor.acting_school_id is not None and actor.acting_school_id == t.to_school_id)
            or (actor.account_id is not None and actor.account_id == t.requested_by)
        )
        if not allowed:
            if not _visible(actor, src, dst):
                raise PermissionDenied(OUT_OF_SCOPE, hint="只能撤销本单位提出的调动申请")
            raise PermissionDenied(
                "只有提出申请的调入学校或市级管理员可以撤销调动申请",
                hint=f"不同意该调动请由审批人驳回：jjadmin transfer reject {t.id} --reason …",
            )
        _require_pending(t, "撤销")
        t.state = "cancelled"
        t.decided_by = actor.account_id
        t.decided_at = ctx.now
        audit.record(
            session,
            actor,
            ctx.now,
            "transfer.cancel",
            "transfer",
            str(t.id),
            before={"state": "pending"},
            after={"state": "cancelled"},
        )
        session.flush()
        return _load_view(session, t.id or 0)
