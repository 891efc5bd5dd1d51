"""学时申报导入 (`credits import`): a school's (or a district's, the city's) sheet of
declarations for its teachers; each row becomes a declaration waiting for 初审 (待初审), the
whole sheet or nothing (`--skip-invalid` writes the good rows). A row repeating a declaration
the teacher has already (same year, project, institution and dates) is skipped, so importing
the same file twice changes nothing. `batch undo` removes the batch's declarations while none
has been reviewed (still 待初审 in its first round)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import InvalidValue
from jjadmin.models import AuditLog, School, Teacher
from jjadmin.rules.declarations import FIRST_STATE, check_dates, check_year
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.credits.declare import DECL_T
from jjadmin.services.dbroles.rows import lock_teachers
from jjadmin.services.imports import BatchWriter, ImportOptions, run_import
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike
from jjadmin.services.scope_rules import school_in_scope, scope_role

__all__ = ["KIND", "import_declarations"]

KIND = "declaration"
CHUNK = 500
Key = tuple[int, int, str, str, date, date]  # teacher, year, project, institution, start, end


def _chunks(values: Sequence[object], size: int = CHUNK) -> list[Sequence[object]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _unit(actor: Actor) -> str:
    role = scope_role(actor)
    if role == "district":
        return f"district:{actor.district_code}"
    if role == "school":
        return f"school:{actor.acting_school_id}"
    return "city"


def import_declarations(
    ctx: ServiceContext,
    *,
    rows: Sequence[RowLike],
    pre_issues: Sequence[RowIssue],
    file: FileMeta,
    options: ImportOptions,
    notes: Sequence[str] = (),
    present: frozenset[str] = frozenset(),
) -> ImportReport:
    """Declarations from a 学时申报 sheet, every row judged first.

    Raises PermissionDenied (3), Conflict (5: another import of the unit running).
    """
    actor = ctx.require("city", "district", "school", action="导入学时申报")
    today = ctx.now.date()
    plan: dict[int, dict[str, object]] = {}
    skip: set[int] = set()

    def validate(
        session: Session, actor: Actor, rows: Sequence[RowLike], report: ImportReport
    ) -> None:
        usable = [r for r in rows if not r.issues]
        nos = sorted({str(r.values["learner_no"]) for r in usable})
        teachers: dict[str, tuple[int, int]] = {}
        for chunk in _chunks(nos):
            for tid, no, sid in session.execute(
                select(col(Teacher.id), col(Teacher.learner_no), col(Teacher.school_id)).where(
                    col(Teacher.learner_no).in_(chunk)
                )
            ).all():
                teachers[no] = (int(tid or 0), int(sid))
        lock_teachers(session, [tid for tid, _ in teachers.values()])  # vs. declare at once
        school_ids = sorted({sid for _, sid in teachers.values()})
        schools: dict[int, School] = {}
        for chunk in _chunks(school_ids):
            for s in session.execute(select(School).where(col(School.id).in_(chunk))).scalars():
                schools[s.id or 0] = s

        def issue(r: RowLike, column: str, value: object, message: str, code: str) -> None:
            shown = None if value is None else str(value)
            report.add(RowIssue(r.row, column, shown, message, code, "state"))

        keyed: dict[int, Key] = {}
        for r in usable:
            v = r.values
            no = str(v["learner_no"])
            found = teachers.get(no)
            if found is None:
                issue(r, "学号", no, f"学号不存在：{no}", "teacher-unknown")
                continue
            if not school_in_scope(actor, schools[found[1]]):
                issue(r, "学号", no, "只能导入本单位管辖范围内教师的学时申报", "out-of-scope")
                continue
            year = int(v["year"])  # type: ignore[call-overload]
            start, end = v["start"], v["end"]
            assert isinstance(start, date) and isinstance(end, date)
            try:
                check_year(year, today=today)
            except InvalidValue as exc:
                issue(r, "培训年度", year, exc.message, exc.code)
                continue
            try:
                check_dates(year, start, end, today=today)
            except InvalidValue as exc:
                column = (
                    "开始日期"
                    if exc.code == "date-outside-year" and start.year != year
                    else "结束日期"
                )
                issue(r, column, end if column == "结束日期" else start, exc.message, exc.code)
                continue
            keyed[r.row] = (found[0], year, str(v["project"]), str(v["institution"]), start, end)
        first: dict[Key, int] = {}
        for row, dup_key in list(keyed.items()):
            if dup_key in first:
                r = next(x for x in usable if x.row == row)
                issue(
                    r,
                    "项目名称",
                    dup_key[2],
                    f"与第 {first[dup_key]} 行重复（同一教师同一培训）",
                    "duplicate",
                )
                del keyed[row]
            else:
                first[dup_key] = row
        c = DECL_T.c
        existing: set[Key] = set()
        keys = list(first)
        for chunk in _chunks(keys):
            found_rows = session.execute(
                select(
                    c.teacher_id, c.year, c.project_name, c.institution, c.start_date, c.end_date
                ).where(
                    tuple_(c.teacher_id, c.year, c.project_name).in_(
                        [(k[0], k[1], k[2]) for k in chunk]  # type: ignore[index]
                    )
                )
            ).all()
            existing.update((int(a), int(b), d, e, f, g) for a, b, d, e, f, g in found_rows)
        for r in usable:
            if r.row not in keyed:
                continue
            key = keyed[r.row]
            if key in existing:
                skip.add(r.row)
                continue
            v = r.values
            plan[r.row] = {
                "teacher_id": key[0],
                "year": key[1],
                "project_name": key[2],
                "institution": key[3],
                "start_date": key[4],
                "end_date": key[5],
                "hours": v["hours"],
                "hour_type": v["hour_type"],
                "proof": v.get("proof"),
            }

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
            insert(DECL_T),
            [
                {
                    **p,
                    "state": FIRST_STATE,
                    "round": 1,
                    "declared_by": actor.account_id,
                    "declared_at": ctx.now,
                    "updated_at": ctx.now,
                    "batch_id": writer.batch_id,
                }
                for p in todo
            ],
        )
        report.created += len(todo)
        _audit_imported(session, actor, ctx, writer.batch_id)

    return run_import(
        ctx,
        kind=KIND,
        unit=_unit(actor),
        file=file,
        rows=rows,
        pre_issues=pre_issues,
        options=options,
        validate=validate,
        apply=apply,
        actor=actor,
        notes=notes,
    )


def _audit_imported(
    session: Session, actor: Actor, ctx: ServiceContext, batch_id: int | None
) -> None:
    """One audit row per imported declaration (bulk insert, like the declarations)."""
    c = DECL_T.c
    rows = session.execute(
        select(
            c.id,
            col(Teacher.learner_no),
            c.year,
            c.project_name,
            c.institution,
            c.start_date,
            c.end_date,
            c.hours,
            c.hour_type,
        )
        .join(Teacher, col(Teacher.id) == c.teacher_id)
        .where(c.batch_id == batch_id)
    ).all()
    session.execute(
        insert(AuditLog),
        [
            {
                "at": ctx.now,
                "actor_id": actor.account_id,
                "actor": actor.username,
                "action": "credit.declare",
                "target_type": "credit_declaration",
                "target": str(r[0]),
                "before": None,
                "after": audit.jsonable(
                    {
                        "learner_no": r[1],
                        "year": r[2],
                        "project": r[3],
                        "institution": r[4],
                        "start_date": r[5],
                        "end_date": r[6],
                        "hours": r[7],
                        "hour_type": r[8],
                        "state": FIRST_STATE,
                        "on_behalf": True,
                    }
                ),
                "batch_id": batch_id,
            }
            for r in rows
        ],
    )
