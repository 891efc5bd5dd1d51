"""调动查询 (`transfer list`, `transfer show`, `transfer lookup`): transfers into or out of
the actor's schools."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from jjadmin.errors import InputRejected, NotFound, PermissionDenied
from jjadmin.models import Account, School, Teacher, Transfer
from jjadmin.rules.codes import normalize_learner_no
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.scope import OUT_OF_SCOPE, school_clause, school_in_scope
from jjadmin.services.transfer_listing import TransferView as TransferView
from jjadmin.services.transfers.common import STATES, _teacher_by_learner_no


@dataclass(frozen=True)
class TransferCandidate:
    """What a receiving school may see of a teacher of another school to confirm the request."""

    learner_no: str
    name: str
    school_name: str


def _view_stmt() -> Any:
    src = aliased(School)
    dst = aliased(School)
    req = aliased(Account)
    dec = aliased(Account)
    stmt = (
        select(
            Transfer,
            col(Teacher.learner_no),
            col(Teacher.name),
            col(src.code),
            col(src.name),
            col(dst.code),
            col(dst.name),
            col(req.username),
            col(dec.username),
        )
        .join(Teacher, col(Teacher.id) == col(Transfer.teacher_id))
        .join(src, col(src.id) == col(Transfer.from_school_id))
        .join(dst, col(dst.id) == col(Transfer.to_school_id))
        .outerjoin(req, col(req.id) == col(Transfer.requested_by))
        .outerjoin(dec, col(dec.id) == col(Transfer.decided_by))
    )
    return stmt, src, dst


def _view(row: Any) -> TransferView:
    t, learner_no, name, src_code, src_name, dst_code, dst_name, req, dec = row
    return TransferView(
        id=t.id,
        learner_no=learner_no,
        name=name,
        from_school_code=src_code,
        from_school_name=src_name,
        to_school_code=dst_code,
        to_school_name=dst_name,
        state=t.state,
        approver_level=t.approver_level,
        approver_district=t.approver_district,
        requested_at=t.requested_at,
        decided_at=t.decided_at,
        reason=t.reason,
        note=t.note,
        requested_by=req,
        decided_by=dec,
    )


def _load_view(session: Session, transfer_id: int) -> TransferView:
    stmt, _, _ = _view_stmt()
    row = session.execute(stmt.where(col(Transfer.id) == transfer_id)).one()
    return _view(row)


def find_teacher(ctx: ServiceContext, learner_no: str) -> TransferCandidate:
    """A teacher of any school by 学号, showing only what confirms a transfer request.

    Raises InputRejected (1, malformed 学号), PermissionDenied (3), NotFound (4).
    """
    ctx.require("city", "district", "school", action="查询调动教师")
    no = normalize_learner_no(learner_no)
    with ctx.reading() as session:
        teacher = _teacher_by_learner_no(session, no)
        school_name = session.execute(
            select(col(School.name)).where(col(School.id) == teacher.school_id)
        ).scalar_one()
        return TransferCandidate(teacher.learner_no, teacher.name, school_name)


def _visible(actor: Actor, src: School, dst: School) -> bool:
    return school_in_scope(actor, src) or school_in_scope(actor, dst)


def list_transfers(
    ctx: ServiceContext, *, state: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[TransferView], int]:
    """Transfers into or out of the actor's schools (city: all), newest first.

    Raises InputRejected (1, unknown state), PermissionDenied (3).
    """
    actor = ctx.require("city", "district", "school", "system", action="查看教师调动")
    if state is not None and state not in STATES:
        raise InputRejected(f"未知状态：{state}（可选：{'、'.join(STATES)}）")
    stmt, src, dst = _view_stmt()
    stmt = stmt.where(or_(school_clause(actor, src), school_clause(actor, dst)))
    if state is not None:
        stmt = stmt.where(col(Transfer.state) == state)
    with ctx.reading() as session:
        total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        page = session.execute(
            stmt.order_by(col(Transfer.requested_at).desc(), col(Transfer.id).desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return [_view(r) for r in page], int(total)


def _get(session: Session, transfer_id: int, *, lock: bool = False) -> Transfer:
    stmt = select(Transfer).where(col(Transfer.id) == transfer_id)
    if lock:
        stmt = stmt.with_for_update()
    transfer = session.execute(stmt).scalar_one_or_none()
    if transfer is None:
        raise NotFound(f"调动申请不存在：{transfer_id}")
    return transfer


def _schools(session: Session, t: Transfer) -> tuple[School, School]:
    src = session.get(School, t.from_school_id)
    dst = session.get(School, t.to_school_id)
    assert src is not None and dst is not None
    return src, dst


def show_transfer(ctx: ServiceContext, transfer_id: int) -> TransferView:
    """One transfer the actor may see. Raises PermissionDenied (3), NotFound (4)."""
    actor = ctx.require("city", "district", "school", "system", action="查看教师调动")
    with ctx.reading() as session:
        t = _get(session, transfer_id)
        src, dst = _schools(session, t)
        if not _visible(actor, src, dst):
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看调入或调出本单位学校的调动申请")
        return _load_view(session, transfer_id)
