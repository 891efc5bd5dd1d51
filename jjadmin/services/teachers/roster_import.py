"""教师导入 (SPEC §5/§6): the import run (`import_teachers`) and the apply step that writes
its plan."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from jjadmin.rules.enums import TeacherStatus
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.imports import BatchWriter, ImportOptions, run_import
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike
from jjadmin.services.teachers.common import UPDATABLE, A, T
from jjadmin.services.teachers.learner_numbers import allocate_learner_numbers
from jjadmin.services.teachers.roster_insert import _insert_teachers, _NewTeachers
from jjadmin.services.teachers.roster_lookup import READ_AHEAD, ReadAhead
from jjadmin.services.teachers.roster_plan import _Plan, _row_numbers, _validate_rows
from jjadmin.services.teachers.roster_sync import (
    _archive_ids,
    _end_grants,
    _plan_sync,
    parse_max_changes,
)
from jjadmin.services.teachers.views import ADMIN_ROLES


def import_teachers(
    ctx: ServiceContext,
    *,
    rows: Sequence[RowLike],
    pre_issues: Sequence[RowIssue],
    file: FileMeta,
    options: ImportOptions,
    notes: Sequence[str] = (),
    present: frozenset[str] = frozenset(),
    upsert: bool = False,
    sync: bool = False,
    max_changes: str | None = None,
) -> ImportReport:
    """Roster import (SPEC §5/§6): new teachers get 学号 from one block; `upsert` updates the
    same school's teachers (never name or ID number); `sync` archives the importing schools'
    在职 teachers missing from the file as 离职, refused beyond `max_changes`.

    Raises PermissionDenied (3), UsageError (2: bad --max-changes), Conflict (5: another
    import of the unit is running; --sync over the limit — nothing is written).
    """
    actor = ctx.require(*ADMIN_ROLES, action="导入教师")
    limit = parse_max_changes(max_changes) if sync else (0.0, False)
    if actor.role == "district":
        unit = f"district:{actor.district_code}"
    elif actor.role in ("city", "system"):
        unit = "city"
    else:
        unit = f"school:{actor.school_code}"
    plan = _Plan()
    work_notes = list(notes)
    ahead: ReadAhead | None = ctx.read_ahead.pop(READ_AHEAD, None)  # used once, if at all

    def validate(
        session: Session, actor: Actor, rows: Sequence[RowLike], report: ImportReport
    ) -> None:
        _validate_rows(session, actor, rows, report, plan, upsert=upsert, ahead=ahead)
        if sync and (options.skip_invalid or not report.issues):
            _plan_sync(session, actor, rows, report, plan, limit, work_notes)

    def apply(
        session: Session,
        actor: Actor,
        rows: Sequence[RowLike],
        report: ImportReport,
        writer: BatchWriter,
    ) -> None:
        _apply_plan(session, ctx, rows, report, writer, plan)

    report = run_import(
        ctx,
        kind="teacher",
        unit=unit,
        file=file,
        rows=rows,
        pre_issues=pre_issues,
        options=options,
        validate=validate,
        apply=apply,
        actor=actor,
        notes=work_notes,
    )
    report.notes = work_notes
    if sync:
        report.extra["archived"] = len(plan.archive)
    return report


def _apply_plan(
    session: Session,
    ctx: ServiceContext,
    rows: Sequence[RowLike],
    report: ImportReport,
    writer: BatchWriter,
    plan: _Plan,
) -> None:
    if plan.fresh is not None:
        # all rows new and clean: `rows` are all the sheet's rows, none left out
        fresh = plan.fresh
        numbers = allocate_learner_numbers(session, ctx.now, len(fresh))
        _insert_teachers(session, ctx.now, writer.batch_id, fresh, numbers)
        report.created += len(fresh)
        if plan.archive:
            _archive_ids(session, ctx, writer, plan.archive)
            report.updated += len(plan.archive)
        return
    good = _row_numbers(rows)
    new = [plan.new[n] for n in good if n in plan.new]
    if new:
        numbers = allocate_learner_numbers(session, ctx.now, len(new))
        _insert_teachers(session, ctx.now, writer.batch_id, _NewTeachers.of_rows(new), numbers)
        report.created += len(new)
    updates = [plan.updates[n] for n in good if n in plan.updates]
    if updates:
        params = []
        for old, changes in updates:
            merged = {k: changes.get(k, getattr(old, k)) for k in UPDATABLE}
            params.append(
                {
                    "p_id": old.id,
                    **{f"p_{k}": v for k, v in merged.items()},
                    "p_version": old.version + 1,
                    "p_updated_at": ctx.now,
                }
            )
            writer.changed(
                "teacher",
                old.id,
                {k: getattr(old, k) for k in changes},
                changes,
                old.version + 1,
            )
        stmt = (
            update(T)
            .where(T.c.id == bindparam("p_id"))
            .values({k: bindparam(f"p_{k}") for k in (*UPDATABLE, "version", "updated_at")})
        )
        session.execute(stmt, params)
        mobile_changes = [
            {"p_tid": old.id, "p_mobile": ch["mobile"]} for old, ch in updates if "mobile" in ch
        ]
        if mobile_changes:
            session.execute(
                update(A)
                .where(A.c.teacher_id == bindparam("p_tid"))
                .values(mobile=bindparam("p_mobile")),
                mobile_changes,
            )
        report.updated += len(updates)
        active = TeacherStatus.ACTIVE.value
        left = [old.id for old, ch in updates if ch.get("status", active) != active]
        if left:
            _end_grants(session, left)
    report.skipped += sum(1 for n in good if n in plan.same)
    if plan.archive:
        _archive_ids(session, ctx, writer, plan.archive)
        report.updated += len(plan.archive)
