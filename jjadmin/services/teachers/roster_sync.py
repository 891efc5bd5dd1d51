"""Roster import `--sync`: the importing schools' 在职 teachers missing from the file are
archived as 离职, refused beyond `--max-changes`."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, UsageError
from jjadmin.rules.enums import TeacherStatus
from jjadmin.rules.ids import IdNumber, normalize_text
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.imports import BatchWriter
from jjadmin.services.results import ImportReport, RowLike
from jjadmin.services.scope import school_clause
from jjadmin.services.teachers.common import P, S, T, _chunks, _school_label
from jjadmin.services.teachers.roster_plan import _columns_of, _Plan
from jjadmin.services.teachers.school_admins import SA

_MAX_CHANGES = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(%?)")


def parse_max_changes(value: str | None) -> tuple[float, bool]:
    """`--max-changes`: 'N' teachers or 'N%' of a school's teachers; default 10%.

    Raises UsageError (exit 2) for anything else.
    """
    if value is None or not value.strip():
        return 10.0, True
    match = _MAX_CHANGES.fullmatch(normalize_text(value))
    if match is None:
        raise UsageError(
            f"--max-changes 的值“{value}”无效", hint="写成人数（如 25）或百分比（如 10%）"
        )
    amount, percent = float(match.group(1)), bool(match.group(2))
    if percent and amount > 100:
        raise UsageError("--max-changes 的百分比不能超过 100%")
    return amount, percent


def _plan_sync(
    session: Session,
    actor: Actor,
    rows: Sequence[RowLike],
    report: ImportReport,
    plan: _Plan,
    limit: tuple[float, bool],
    notes: list[str],
) -> None:
    """Choose the teachers `--sync` archives; refuse (Conflict) beyond --max-changes."""
    school_ids: set[int] = set()
    if actor.role not in ("city", "district", "system") and actor.acting_school_id:
        school_ids.add(actor.acting_school_id)
    column = _columns_of(rows)
    codes = {str(c) for c in column("school_code") if c is not None}
    for chunk in _chunks(sorted(codes)):
        school_ids.update(
            session.execute(
                select(S.c.id).where(S.c.code.in_(chunk), school_clause(actor, S.c))
            ).scalars()
        )
    seen_ids: set[str] = set()
    seen_nos: set[str] = set()
    unidentified = 0
    for ident, no in zip(column("id_number"), column("learner_no"), strict=True):
        if isinstance(ident, IdNumber):
            seen_ids.add(ident.value)
        elif no is not None:
            seen_nos.add(str(no))
        else:
            unidentified += 1
    if unidentified:
        notes.append(
            f"有 {unidentified} 行的身份证号和学号都无法识别，为避免误归档，本次未执行 --sync"
        )
        return
    if not school_ids:
        return
    active = TeacherStatus.ACTIVE.value
    missing: list[tuple[int, str, int, int]] = []
    totals: dict[int, int] = {}
    for chunk in _chunks(sorted(school_ids)):
        for tid, no, ident, version, sid in session.execute(
            select(T.c.id, T.c.learner_no, T.c.id_number, T.c.version, T.c.school_id).where(
                T.c.school_id.in_(chunk), T.c.status == active
            )
        ):
            totals[sid] = totals.get(sid, 0) + 1
            if ident not in seen_ids and no not in seen_nos:
                missing.append((tid, no, version, sid))
    per_school: dict[int, int] = {}
    for *_, sid in missing:
        per_school[sid] = per_school.get(sid, 0) + 1
    amount, percent = limit
    over: list[str] = []
    for sid, n in sorted(per_school.items()):
        allowed = totals[sid] * amount / 100 if percent else amount
        if n > allowed:
            code, name = _school_label(session, sid)
            over.append(f"{name}（{code}）{n}/{totals[sid]} 人")
    if over:
        shown = "、".join(over[:10]) + ("…" if len(over) > 10 else "")
        cap = f"{amount:g}%" if percent else f"{amount:g} 人"
        raise Conflict(
            f"--sync 将把表中没有的在职教师归档为离职：{shown}，超过 --max-changes 上限"
            f"（每校 {cap}），未写入任何数据",
            hint="请核对导入文件是否完整；确认无误后加大 --max-changes（如 --max-changes 100%）",
            data={"archive": len(missing)},
        )
    plan.archive = [(tid, no, version) for tid, no, version, _ in missing]
    if missing:
        notes.append(f"--sync：{len(missing)} 名表中没有的在职教师将归档为离职")


def _archive_ids(
    session: Session, ctx: ServiceContext, writer: BatchWriter, rows: list[tuple[int, str, int]]
) -> None:
    left = TeacherStatus.LEFT.value
    session.execute(
        update(T)
        .where(T.c.id == bindparam("p_id"))
        .values(status=left, version=bindparam("p_version"), updated_at=ctx.now),
        [{"p_id": tid, "p_version": version + 1} for tid, _, version in rows],
    )
    for tid, _, version in rows:
        writer.changed(
            "teacher", tid, {"status": TeacherStatus.ACTIVE.value}, {"status": left}, version + 1
        )
    _end_grants(session, [tid for tid, _, _ in rows])


def _end_grants(session: Session, teacher_ids: list[int]) -> None:
    """Teachers who left (离职/退休 by a roster import) lose their principal and school admin
    grants (SPEC §6 Teacher: both end when the teacher leaves the school)."""
    for chunk in _chunks(teacher_ids):
        session.execute(delete(P).where(P.c.teacher_id.in_(chunk)))
        session.execute(delete(SA).where(SA.c.teacher_id.in_(chunk)))
