"""调动申请: the receiving school asks for one teacher (`transfer request`) or a sheet of them
(`transfer import`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from jjadmin.errors import Conflict, InputRejected, NotFound, PermissionDenied
from jjadmin.models import AuditLog, School, Teacher, Transfer
from jjadmin.rules.codes import normalize_learner_no
from jjadmin.rules.ids import normalize_school_code
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.imports import BatchWriter, ImportOptions, run_import
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike
from jjadmin.services.scope import OUT_OF_SCOPE, school_in_scope
from jjadmin.services.transfers.blocks import _block_message, _Blocks, _district_names, _find_blocks
from jjadmin.services.transfers.common import (
    _approver,
    _chunks,
    _school_names,
    _teacher_by_learner_no,
    _teachers_by_learner_nos,
    clean_note,
)
from jjadmin.services.transfers.views import TransferView, _load_view


def _target_school(session: Session, actor: Actor, code: str) -> School:
    school = session.execute(select(School).where(col(School.code) == code)).scalar_one_or_none()
    if school is None:
        raise NotFound(f"学校不存在：{code}")
    if not school_in_scope(actor, school):
        raise PermissionDenied(
            OUT_OF_SCOPE, hint="调动申请由调入学校提出：只能申请调入本单位管辖范围内的学校"
        )
    return school


def request_transfer(
    ctx: ServiceContext, *, learner_no: str, to_school: str, note: str | None = None
) -> TransferView:
    """The receiving school (or its district / the city) asks to move a teacher in.

    Raises InputRejected (1: malformed value, teacher already in that school),
    PermissionDenied (3: target school out of scope), NotFound (4: 学号 or school unknown),
    Conflict (5: special user, unpaid earlier enrollment, pending transfer).
    """
    actor = ctx.require("city", "district", "school", action="申请教师调动")
    no = normalize_learner_no(learner_no)
    code = normalize_school_code(to_school)
    text = clean_note(note)
    with ctx.transaction() as session:
        dst = _target_school(session, actor, code)
        teacher = _teacher_by_learner_no(session, no, lock=True)
        who = f"教师 {teacher.name}（{teacher.learner_no}）"
        if teacher.school_id == dst.id:
            raise InputRejected(f"{who}已在{dst.name}，无需调动")
        src = session.get(School, teacher.school_id)
        assert src is not None
        blocks = _find_blocks(session, [teacher.id or 0], ctx.now).get(teacher.id or 0)
        if blocks is not None:
            names = _school_names(session, [blocks.pending[1]] if blocks.pending else [])
            found = _block_message(
                blocks, pending_ok_to=None, districts=_district_names(session), school_names=names
            )
            if found is not None:
                raise Conflict(f"{who}{found[0]}，不能申请调动", hint=found[1])
        level, district = _approver(src, dst)
        transfer = Transfer(
            teacher_id=teacher.id or 0,
            from_school_id=src.id or 0,
            to_school_id=dst.id or 0,
            state="pending",
            approver_level=level,
            approver_district=district,
            note=text,
            requested_by=actor.account_id,
            requested_at=ctx.now,
        )
        session.add(transfer)
        session.flush()
        audit.record(
            session,
            actor,
            ctx.now,
            "transfer.request",
            "transfer",
            str(transfer.id),
            after={
                "learner_no": teacher.learner_no,
                "from_school_code": src.code,
                "to_school_code": dst.code,
                "approver_level": level,
                "approver_district": district,
                "note": text,
            },
        )
        return _load_view(session, transfer.id or 0)


@dataclass
class _Planned:
    row: int
    teacher_id: int
    from_school_id: int
    to_school_id: int
    approver_level: str
    approver_district: str | None
    note: str | None


def import_transfers(
    ctx: ServiceContext,
    *,
    rows: Sequence[RowLike],
    pre_issues: Sequence[RowIssue],
    file: FileMeta,
    options: ImportOptions,
    notes: Sequence[str] = (),
    present: frozenset[str] = frozenset(),
) -> ImportReport:
    """Transfer requests from a sheet (学号, 调入学校代码, 备注); every row judged first.

    A row whose teacher already has a pending request into the same school is skipped, so
    importing the same file twice changes nothing. Raises PermissionDenied (3), Conflict (5,
    another import of the unit running).
    """
    actor = ctx.require("city", "district", "school", action="导入调动申请")
    if actor.role == "city":
        unit = "city"
    elif actor.role == "district":
        unit = f"district:{actor.district_code}"
    else:
        unit = f"school:{actor.school_code}"
    plan: dict[int, _Planned] = {}
    skip: set[int] = set()

    def validate(
        session: Session, actor: Actor, rows: Sequence[RowLike], report: ImportReport
    ) -> None:
        usable = [r for r in rows if not r.issues]
        nos = sorted({str(r.values["learner_no"]) for r in usable})
        codes = sorted({str(r.values["to_school"]) for r in usable})
        teachers = _teachers_by_learner_nos(session, nos, lock=True)
        schools: dict[str, School] = {}
        for chunk in _chunks(codes):
            found = session.execute(select(School).where(col(School.code).in_(chunk))).scalars()
            schools.update({s.code: s for s in found})
        from_ids = sorted({t.school_id for t in teachers.values()})
        by_id = {s.id: s for s in schools.values()}
        for chunk in _chunks([i for i in from_ids if i not in by_id]):
            found = session.execute(select(School).where(col(School.id).in_(chunk))).scalars()
            by_id.update({s.id: s for s in found})
        blocks = _find_blocks(session, [t.id or 0 for t in teachers.values()], ctx.now)
        pending_targets = [b.pending[1] for b in blocks.values() if b.pending]
        names = {i: s.name for i, s in by_id.items() if i is not None}
        names.update(_school_names(session, [i for i in pending_targets if i not in names]))
        districts = _district_names(session)

        def issue(r: RowLike, column: str, value: str, message: str, code: str) -> None:
            report.add(RowIssue(r.row, column, value, message, code, "state"))

        for r in usable:
            no, code = str(r.values["learner_no"]), str(r.values["to_school"])
            teacher = teachers.get(no)
            dst = schools.get(code)
            if teacher is None:
                issue(r, "学号", no, f"学号不存在：{no}", "teacher-unknown")
                continue
            if dst is None:
                issue(r, "调入学校代码", code, f"学校不存在：{code}", "school-unknown")
                continue
            if not school_in_scope(actor, dst):
                issue(
                    r,
                    "调入学校代码",
                    code,
                    "只能申请调入本单位管辖范围内的学校",
                    "out-of-scope",
                )
                continue
            b = blocks.get(teacher.id or 0, _Blocks())
            if b.pending is not None and b.pending[1] == dst.id:
                skip.add(r.row)
                continue
            if teacher.school_id == dst.id:
                issue(r, "调入学校代码", code, f"教师已在{dst.name}，无需调动", "same-school")
                continue
            blocked = _block_message(b, pending_ok_to=None, districts=districts, school_names=names)
            if blocked is not None:
                issue(r, "学号", no, f"{blocked[0]}，不能申请调动", "transfer-blocked")
                continue
            src = by_id[teacher.school_id]
            level, district = _approver(src, dst)
            plan[r.row] = _Planned(
                r.row,
                teacher.id or 0,
                src.id or 0,
                dst.id or 0,
                level,
                district,
                clean_note(r.values.get("note")),
            )

    def apply(
        session: Session,
        actor: Actor,
        rows: Sequence[RowLike],
        report: ImportReport,
        writer: BatchWriter,
    ) -> None:
        todo = [plan[r.row] for r in rows if r.row in plan]
        report.skipped += sum(1 for r in rows if r.row in skip)
        if not todo:
            return
        session.execute(
            insert(Transfer),
            [
                {
                    "teacher_id": p.teacher_id,
                    "from_school_id": p.from_school_id,
                    "to_school_id": p.to_school_id,
                    "state": "pending",
                    "approver_level": p.approver_level,
                    "approver_district": p.approver_district,
                    "note": p.note,
                    "requested_by": actor.account_id,
                    "requested_at": ctx.now,
                    "batch_id": writer.batch_id,
                }
                for p in todo
            ],
        )
        report.created += len(todo)
        _audit_imported(session, actor, ctx.now, writer.batch_id)

    return run_import(
        ctx,
        kind="transfer",
        unit=unit,
        file=file,
        rows=rows,
        pre_issues=pre_issues,
        options=options,
        validate=validate,
        apply=apply,
        actor=actor,
        notes=notes,
    )


def _audit_imported(session: Session, actor: Actor, now: datetime, batch_id: int | None) -> None:
    """One audit row per imported transfer request (bulk insert, like the requests)."""
    src = aliased(School)
    dst = aliased(School)
    rows = session.execute(
        select(Transfer, col(Teacher.learner_no), col(src.code), col(dst.code))
        .join(Teacher, col(Teacher.id) == col(Transfer.teacher_id))
        .join(src, col(src.id) == col(Transfer.from_school_id))
        .join(dst, col(dst.id) == col(Transfer.to_school_id))
        .where(col(Transfer.batch_id) == batch_id)
    ).all()
    session.execute(
        insert(AuditLog),
        [
            {
                "at": now,
                "actor_id": actor.account_id,
                "actor": actor.username,
                "action": "transfer.request",
                "target_type": "transfer",
                "target": str(t.id),
                "before": None,
                "after": audit.jsonable(
                    {
                        "learner_no": no,
                        "from_school_code": src_code,
                        "to_school_code": dst_code,
                        "approver_level": t.approver_level,
                        "approver_district": t.approver_district,
                        "note": t.note,
                    }
                ),
                "batch_id": batch_id,
            }
            for t, no, src_code, dst_code in rows
        ],
    )
