"""取消特殊用户: one teacher at the centre's counter (`special-user clear 学号 --evidence …
[--seal-proof FILE]`) or a whole school from its sheet (`special-user clear --file …
--school … --seal-proof …`, an import: all or nothing, recorded as a batch).

附表1 学员须知: the first flag is cleared on the teacher's valid ID (the evidence text); the
second and later also need a proof sealed by the school (pdf/jpg/png, stored with its
SHA-256). The city clears every flag, a district the 区级 flags it raised. Clearing voids
the enrollments that caused the flag (kept as history, no longer unpaid), which lifts the
transfer block, and brings their school's unpaid bills up to date.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, case, false, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin import faults
from jjadmin.errors import Conflict, InputRejected, PermissionDenied
from jjadmin.models import Course, Enrollment, School, SpecialUser, Teacher
from jjadmin.rules.billing import normalize_evidence, seal_proof_needed
from jjadmin.rules.codes import parse_period_code
from jjadmin.rules.ids import normalize_text
from jjadmin.services.attachments import UploadedFile, read_upload, store_upload
from jjadmin.services.billing.bills import refresh_open_bills
from jjadmin.services.billing.common import audit_many, lock_period, teacher_by_key
from jjadmin.services.billing.special_users import can_clear
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.imports import BatchWriter, ImportOptions, run_import
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike
from jjadmin.services.scope import get_school
from jjadmin.services.scope_rules import school_in_scope

__all__ = [
    "CLEAR_ROLES",
    "COLLECTIVE_EVIDENCE",
    "ClearResult",
    "clear_special_user",
    "import_clearing",
]

E: Table = Enrollment.__table__  # type: ignore[attr-defined]
C: Table = Course.__table__  # type: ignore[attr-defined]
SU: Table = SpecialUser.__table__  # type: ignore[attr-defined]
CLEAR_ROLES = ("city", "district")
COLLECTIVE_EVIDENCE = "学校集体申请取消特殊用户（盖学校公章的书面申请）"
PROOF_LABEL = "盖章证明"
CHUNK = 500


@dataclass(frozen=True)
class ClearResult:
    learner_no: str
    name: str
    flags: int  # flags cleared
    periods: list[str]
    voided: int  # enrollments voided
    times: int  # the highest occurrence cleared
    seal_proof_sha256: str | None


@dataclass
class _Cleared:
    voided: int = 0
    by_teacher: Counter[int] = field(default_factory=Counter)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def _clear(
    session: Session,
    actor: Actor,
    now: datetime,
    flags: Sequence[SpecialUser],
    *,
    evidence: str,
    proof: tuple[int, UploadedFile] | None,
    how: str,
    learner_nos: dict[int, str],
    writer: BatchWriter | None = None,
) -> _Cleared:
    """Clear `flags` (locked, open, the actor's to clear): void the still unpaid, active
    enrollments they name, recount the courses' seats, update the schools' unpaid bills,
    record who, when, the evidence and the proof; audit each flag."""
    out = _Cleared()
    for period in sorted({f.period for f in flags}):
        lock_period(session, period, exclusive=False)
    faults.point("special_user.clear")
    named = sorted({int(i) for f in flags for i in f.enrollment_ids})
    seats: Counter[int] = Counter()
    touched: dict[str, set[int]] = defaultdict(set)
    void = (
        update(E)
        .where(E.c.state == "active", E.c.paid == false())
        .values(state="voided", dropped_by=actor.account_id, dropped_at=now)
        .returning(E.c.id, E.c.course_id, E.c.period, E.c.school_id)
    )
    voided_ids: set[int] = set()
    for chunk in _chunks(named):
        for eid, course_id, period, school_id in session.execute(void.where(E.c.id.in_(chunk))):
            voided_ids.add(int(eid))
            seats[int(course_id)] += 1
            touched[str(period)].add(int(school_id))
    out.voided = len(voided_ids)
    if seats:
        session.execute(
            update(C)
            .where(C.c.id == bindparam("c_id"))
            .values(
                enrolled=case(
                    (C.c.enrolled >= bindparam("c_n"), C.c.enrolled - bindparam("c_n")), else_=0
                )
            ),
            [{"c_id": cid, "c_n": n} for cid, n in sorted(seats.items())],
        )
    for period, schools in sorted(touched.items()):
        refresh_open_bills(session, actor, now, period, schools)
    proof_id, upload = proof if proof is not None else (None, None)
    for f in flags:
        mine = sorted(int(i) for i in f.enrollment_ids if int(i) in voided_ids)
        before = {
            "cleared_at": None,
            "cleared_by": None,
            "evidence": None,
            "seal_proof_id": None,
            "seal_proof_name": None,
            "seal_proof_sha256": None,
            "detail": dict(f.detail or {}),
        }
        f.cleared_at = now
        f.cleared_by = actor.account_id
        f.evidence = evidence
        f.seal_proof_id = proof_id
        f.seal_proof_name = upload.name if upload is not None else None
        f.seal_proof_sha256 = upload.sha256 if upload is not None else None
        f.detail = {**(f.detail or {}), "how": how, "voided": mine}
        f.version += 1
        out.by_teacher[f.teacher_id] += 1
        if writer is not None:
            after = {k: getattr(f, k) for k in before}
            writer.changed("special_user", f.id or 0, before, after, f.version)
    session.flush()
    audit_many(
        session,
        actor,
        now,
        (
            (
                "special_user.clear",
                "teacher",
                learner_nos.get(f.teacher_id, str(f.teacher_id)),
                {"period": f.period, "level": f.level, "occurrence": f.occurrence},
                {
                    "cleared": True,
                    "how": how,
                    "evidence": evidence,
                    "seal_proof_sha256": f.seal_proof_sha256,
                    "voided": f.detail.get("voided", []),
                },
            )
            for f in flags
        ),
        batch_id=writer.batch_id if writer is not None else None,
    )
    return out


def _open_flags(
    session: Session, teacher_ids: Sequence[int], period: str | None = None
) -> list[SpecialUser]:
    found: list[SpecialUser] = []
    for chunk in _chunks(sorted(set(teacher_ids))):
        stmt = (
            select(SpecialUser)
            .where(col(SpecialUser.teacher_id).in_(chunk), col(SpecialUser.cleared_at).is_(None))
            .order_by(col(SpecialUser.teacher_id), col(SpecialUser.period), col(SpecialUser.id))
            .with_for_update()
        )
        if period is not None:
            stmt = stmt.where(col(SpecialUser.period) == period)
        found.extend(session.execute(stmt).scalars())
    return found


def _proof(path: Path | None) -> UploadedFile | None:
    return read_upload(path, label=PROOF_LABEL) if path is not None else None


def clear_special_user(
    ctx: ServiceContext,
    *,
    learner_no: str,
    evidence: str,
    seal_proof: Path | None = None,
    period: str | None = None,
) -> ClearResult:
    """取消特殊用户 for one teacher (by 学号 or 身份证号): every open flag the actor may clear
    (or that of `period`).

    Raises InvalidValue / InputRejected (1: no evidence, a proof needed and missing, a proof
    that is not pdf/jpg/png or too large), PermissionDenied (3: a school, a district for a
    flag it did not raise), NotFound (4), Conflict (5: the teacher is not a special user).
    """
    actor = ctx.require(*CLEAR_ROLES, action="取消特殊用户")
    text = normalize_evidence(evidence)
    which = parse_period_code(period) if period is not None else None
    upload = _proof(seal_proof)
    with ctx.transaction() as session:
        teacher = teacher_by_key(session, learner_no, ctx.now)
        who = f"{teacher.name}（{teacher.learner_no}）"
        flags = _open_flags(session, [teacher.id or 0], which)
        school = session.get(School, teacher.school_id)
        if school is None or not school_in_scope(actor, school):
            if not any(can_clear(actor, f.level, f.district_code) for f in flags):
                # another district's teacher: neither the name nor the flags leak (SPEC §3)
                raise PermissionDenied(f"学号 {learner_no}：无权访问该单位的数据")
        if not flags:
            when = f"{which} 期" if which else ""
            raise Conflict(
                f"{who}不是{when}特殊用户，无需取消", hint="jjadmin special-user history 学号"
            )
        mine = [f for f in flags if can_clear(actor, f.level, f.district_code)]
        if not mine:
            raise PermissionDenied(
                f"{who}的特殊用户记录（{'、'.join(f'{f.period}期{f.level}' for f in flags)}）"
                "只能由市级培训中心取消",
                hint="全员培训的特殊用户须本人持有效证件到市教师远程培训中心办理",
            )
        times = max(f.occurrence for f in mine)
        if upload is None and seal_proof_needed(times):
            raise InputRejected(
                f"{who}是第 {times} 次被列为特殊用户，须凭盖有学校公章的证明及本人有效证件取消",
                hint="加 --seal-proof 盖章证明.pdf（pdf、jpg 或 png）",
            )
        proof = (store_upload(session, actor, ctx.now, upload), upload) if upload else None
        done = _clear(
            session,
            actor,
            ctx.now,
            mine,
            evidence=text,
            proof=proof,
            how="individual",
            learner_nos={teacher.id or 0: teacher.learner_no},
        )
        return ClearResult(
            teacher.learner_no,
            teacher.name,
            len(mine),
            sorted({f.period for f in mine}),
            done.voided,
            times,
            upload.sha256 if upload else None,
        )


@dataclass
class _Planned:
    flags: list[SpecialUser]
    learner_nos: dict[int, str]


def import_clearing(
    ctx: ServiceContext,
    *,
    rows: Sequence[RowLike],
    pre_issues: Sequence[RowIssue],
    file: FileMeta,
    options: ImportOptions,
    notes: Sequence[str] = (),
    present: frozenset[str] = frozenset(),
    school: str,
    seal_proof: Path,
    evidence: str | None = None,
) -> ImportReport:
    """单位集体取消特殊用户: the teachers of one school listed in a sheet (学号, 姓名), on the
    school's sealed application (`seal_proof`); all or nothing.

    A row whose teacher is not of that school, not a special user, or whose flags the actor
    may not clear is refused; one whose flags were cleared already is skipped (importing the
    sheet twice changes nothing). Raises InputRejected (1: the proof), PermissionDenied (3),
    NotFound (4: school, proof file), Conflict (5: another import of the unit running).
    """
    actor = ctx.require(*CLEAR_ROLES, action="集体取消特殊用户")
    text = normalize_evidence(evidence or COLLECTIVE_EVIDENCE)
    upload = read_upload(seal_proof, label=PROOF_LABEL)
    planned = _Planned([], {})
    skipped: set[int] = set()

    def validate(
        session: Session, actor: Actor, rows: Sequence[RowLike], report: ImportReport
    ) -> None:
        target = get_school(session, actor, normalize_text(school))
        usable = [r for r in rows if not r.issues]
        nos = sorted({str(r.values["learner_no"]) for r in usable})
        teachers: dict[str, Teacher] = {}
        for chunk in _chunks(nos):
            stmt = select(Teacher).where(col(Teacher.learner_no).in_(chunk))
            teachers.update({t.learner_no: t for t in session.execute(stmt).scalars()})
        ids = [t.id or 0 for t in teachers.values()]
        flags: dict[int, list[SpecialUser]] = defaultdict(list)
        for f in _open_flags(session, ids):
            flags[f.teacher_id].append(f)
        was_flagged: set[int] = set()
        for chunk in _chunks(sorted(ids)):
            was_flagged.update(
                session.execute(
                    select(col(SpecialUser.teacher_id)).where(
                        col(SpecialUser.teacher_id).in_(chunk),
                        col(SpecialUser.cleared_at).is_not(None),
                    )
                ).scalars()
            )

        def refuse(r: RowLike, column: str, value: str, message: str, code: str) -> None:
            report.add(RowIssue(r.row, column, value, message, code, "state"))

        for r in usable:
            no = str(r.values["learner_no"])
            t = teachers.get(no)
            if t is None:
                refuse(r, "学号", no, f"学号不存在：{no}", "teacher-unknown")
                continue
            name = r.values.get("name")
            if name and normalize_text(name) != t.name:
                refuse(r, "姓名", str(name), f"姓名与学号不符（该学号为{t.name}）", "name-mismatch")
                continue
            if t.school_id != target.id:
                refuse(r, "学号", no, f"{t.name}不是{target.name}的教师", "other-school")
                continue
            open_ = flags.get(t.id or 0, [])
            if not open_ and t.id in was_flagged:
                skipped.add(r.row)  # cleared already (the same sheet imported again)
                continue
            if not open_:
                refuse(r, "学号", no, f"{t.name}不是特殊用户", "not-special")
                continue
            mine = [f for f in open_ if can_clear(actor, f.level, f.district_code)]
            if not mine:
                refuse(r, "学号", no, f"{t.name}的特殊用户记录只能由市级培训中心取消", "city-only")
                continue
            planned.flags.extend(mine)
            planned.learner_nos[t.id or 0] = no

    def apply(
        session: Session,
        actor: Actor,
        rows: Sequence[RowLike],
        report: ImportReport,
        writer: BatchWriter,
    ) -> None:
        report.skipped += sum(1 for r in rows if r.row in skipped)
        good = {str(r.values["learner_no"]) for r in rows}
        flags = [f for f in planned.flags if planned.learner_nos.get(f.teacher_id) in good]
        if not flags:
            return
        proof_id = store_upload(session, actor, ctx.now, upload)
        done = _clear(
            session,
            actor,
            ctx.now,
            flags,
            evidence=text,
            proof=(proof_id, upload),
            how=f"collective:{normalize_text(school)}",
            learner_nos=planned.learner_nos,
            writer=writer,
        )
        report.updated += len(done.by_teacher)
        report.extra["voided"] = done.voided
        report.extra["flags"] = len(flags)

    unit = "city" if actor.role == "city" else f"district:{actor.district_code}"
    return run_import(
        ctx,
        kind="special_user_clear",
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
