"""教师调动: request (one teacher or a sheet), approve, reject, cancel, list, show (SPEC §6).

The receiving school asks; a move inside one district is approved by that district's
training office, a move across districts by the city centre. A special user, a teacher with
an unpaid enrollment of an earlier period, or one with a pending transfer cannot be moved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from jjadmin.clock import local
from jjadmin.errors import Conflict, InputRejected, NotFound, PermissionDenied
from jjadmin.models import (
    Account,
    AuditLog,
    Course,
    District,
    Enrollment,
    Principal,
    School,
    SpecialUser,
    Teacher,
    Transfer,
)
from jjadmin.rules.codes import current_period, normalize_learner_no
from jjadmin.rules.ids import normalize_school_code
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.imports import BatchWriter, ImportOptions, run_import
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike
from jjadmin.services.scope import OUT_OF_SCOPE, school_clause, school_in_scope

__all__ = [
    "LEVEL_NAMES",
    "NOTE_MAX",
    "SPECIAL_USER_RULE",
    "STATES",
    "STATE_NAMES",
    "TransferCandidate",
    "TransferView",
    "approve_transfer",
    "cancel_transfer",
    "clean_note",
    "find_teacher",
    "import_transfers",
    "list_transfers",
    "reject_transfer",
    "request_transfer",
    "show_transfer",
]

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
CITY_CENTRE = "广州市教师远程培训中心"
SPECIAL_USER_RULE = "特殊用户必须先到市教师远程培训中心消除特殊用户后方可申请调动"
CROSS_DISTRICT_RULE = "跨区调动必须由市级教师培训管理机构（广州市中小学教师培训中心）审批"


@dataclass(frozen=True)
class TransferView:
    id: int
    learner_no: str
    name: str
    from_school_code: str
    from_school_name: str
    to_school_code: str
    to_school_name: str
    state: str
    approver_level: str
    approver_district: str | None
    requested_at: datetime
    decided_at: datetime | None
    reason: str | None
    note: str | None
    requested_by: str | None
    decided_by: str | None


@dataclass(frozen=True)
class TransferCandidate:
    """What a receiving school may see of a teacher of another school to confirm the request."""

    learner_no: str
    name: str
    school_name: str


@dataclass
class _Blocks:
    """Why a teacher cannot be moved right now (all found at once, set-based)."""

    special_periods: list[str] = field(default_factory=list)
    unpaid: list[tuple[str, str, str | None]] = field(default_factory=list)  # period, level, 区
    pending: tuple[int, int] | None = None  # (transfer id, to_school_id)


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


def _find_blocks(session: Session, teacher_ids: Sequence[int], now: datetime) -> dict[int, _Blocks]:
    """Special-user flags, unpaid earlier enrollments and pending transfers per teacher."""
    blocks: dict[int, _Blocks] = defaultdict(_Blocks)
    current = current_period(local(now))
    ids = sorted(set(teacher_ids))
    for chunk in _chunks(ids):
        specials = session.execute(
            select(col(SpecialUser.teacher_id), col(SpecialUser.period))
            .where(col(SpecialUser.teacher_id).in_(chunk), col(SpecialUser.cleared_at).is_(None))
            .order_by(col(SpecialUser.period))
        ).all()
        for tid, period in specials:
            blocks[tid].special_periods.append(period)
        unpaid = session.execute(
            select(
                col(Enrollment.teacher_id),
                col(Enrollment.period),
                col(Course.level),
                col(Course.district_code),
            )
            .join(Course, col(Course.id) == col(Enrollment.course_id))
            .where(
                col(Enrollment.teacher_id).in_(chunk),
                col(Enrollment.state) == "active",
                col(Enrollment.paid).is_(False),
                col(Enrollment.period) < current,
            )
            .order_by(col(Enrollment.period), col(Course.level))
        ).all()
        for tid, period, level, district in unpaid:
            blocks[tid].unpaid.append((period, level, district))
        pending = session.execute(
            select(col(Transfer.teacher_id), col(Transfer.id), col(Transfer.to_school_id)).where(
                col(Transfer.teacher_id).in_(chunk), col(Transfer.state) == "pending"
            )
        ).all()
        for tid, transfer_id, to_school_id in pending:
            blocks[tid].pending = (transfer_id or 0, to_school_id)
    return blocks


def _district_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(col(District.code), col(District.name))).all())


def _unpaid_message(unpaid: list[tuple[str, str, str | None]], districts: dict[str, str]) -> str:
    """Which unpaid enrollments block the move, and who can delete each kind (seed §3)."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for period, level, _ in unpaid:
        counts[(period, level)] += 1
    listed = "、".join(f"{p}期{lvl}{n}门" for (p, lvl), n in counts.items())
    who: list[str] = []
    levels = {lvl for _, lvl, _ in unpaid}
    if "全员培训" in levels:
        who.append(f"市级选课未缴费记录请向{CITY_CENTRE}申请删除记录")
    if "区级培训" in levels:
        names = sorted(
            {districts.get(d or "", "") for _, lvl, d in unpaid if lvl == "区级培训"} - {""}
        )
        office = (
            f"{'、'.join(names)}教师培训机构管理员" if names else "所在区（县）教师培训机构管理员"
        )
        who.append(f"区级选课未缴费记录请向{office}申请删除记录")
    if levels - {"全员培训", "区级培训"}:
        who.append("其他选课未缴费记录请向课程的收费单位申请删除记录")
    return f"有往期选课未缴费记录（{listed}），{'；'.join(who)}"


def _block_message(
    blocks: _Blocks,
    *,
    pending_ok_to: int | None,
    districts: dict[str, str],
    school_names: dict[int, str],
) -> tuple[str, str | None] | None:
    """(message, hint) for the first reason that blocks a move, or None.

    `pending_ok_to`: the transfer being decided (its own pending state does not block).
    """
    if blocks.pending is not None and blocks.pending[0] != pending_ok_to:
        tid, to_id = blocks.pending
        where = school_names.get(to_id)
        target = f"（调入{where}）" if where else ""
        return (
            f"已有待审批的调动申请 #{tid}{target}，不能重复申请",
            f"等待审批，或由申请学校撤销：jjadmin transfer cancel {tid}",
        )
    if blocks.special_periods:
        periods = "、".join(blocks.special_periods)
        return (
            f"是特殊用户（{periods}期选课未缴费），{SPECIAL_USER_RULE}",
            "教师本人持有效证件到市教师远程培训中心办理（jjadmin special-user clear 学号 …）",
        )
    if blocks.unpaid:
        return _unpaid_message(blocks.unpaid, districts), None
    return None


def _approver(src: School, dst: School) -> tuple[str, str | None]:
    if src.district_code == dst.district_code:
        return "district", src.district_code
    return "city", None


def _target_school(session: Session, actor: Actor, code: str) -> School:
    school = session.execute(select(School).where(col(School.code) == code)).scalar_one_or_none()
    if school is None:
        raise NotFound(f"学校不存在：{code}")
    if not school_in_scope(actor, school):
        raise PermissionDenied(
            OUT_OF_SCOPE, hint="调动申请由调入学校提出：只能申请调入本单位管辖范围内的学校"
        )
    return school


def _teacher_by_learner_no(session: Session, learner_no: str, *, lock: bool = False) -> Teacher:
    stmt = select(Teacher).where(col(Teacher.learner_no) == learner_no)
    if lock:
        stmt = stmt.with_for_update()
    teacher = session.execute(stmt).scalar_one_or_none()
    if teacher is None:
        raise NotFound(
            f"学号不存在：{learner_no}",
            hint="尚未拥有继续教育学号的教师请用 jjadmin teacher add 为其生成学号",
        )
    return teacher


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


def _school_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(col(School.id), col(School.name)).where(col(School.id).in_(ids))
    ).all()
    return {i or 0: n for i, n in rows}


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
        teachers: dict[str, Teacher] = {}
        for chunk in _chunks(nos):
            stmt = select(Teacher).where(col(Teacher.learner_no).in_(chunk)).with_for_update()
            teachers.update({t.learner_no: t for t in session.execute(stmt).scalars()})
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
    """Approve and move the teacher (离职 → 在职, principal grant ends, login follows).

    Raises PermissionDenied (3), NotFound (4), Conflict (5: not pending, teacher became a
    special user or has unpaid earlier enrollments, teacher no longer in the old school).
    """
    actor = ctx.require("city", "district", action="审批教师调动")
    with ctx.transaction() as session:
        t = _get(session, transfer_id, lock=True)
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
