"""The shared import flow: lock the unit, judge every row, write all or nothing, record a batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin import faults
from jjadmin.db import try_unit_lock
from jjadmin.errors import Conflict, NotFound, PermissionDenied
from jjadmin.models import BatchChange, ImportBatch, metadata
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.history_views import BatchView as BatchView
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike
from jjadmin.services.results import ImportOptions as ImportOptions
from jjadmin.services.scope import unit_clause

Validator = Callable[[Session, Actor, Sequence[RowLike], ImportReport], Any]
Applier = Callable[[Session, Actor, Sequence[RowLike], ImportReport, "BatchWriter"], None]


@runtime_checkable
class ColumnarRows(Protocol):
    """Rows kept column by column by a large sheet's reader (importers.enroll.EnrollRows):
    they list their own issues and leave out rejected rows without building one object per
    row, which `run_import` then uses instead of walking every row."""

    def __len__(self) -> int: ...

    def row_issues(self) -> list[RowIssue]: ...

    def without_rows(self, rows: set[int]) -> Sequence[RowLike]: ...


@runtime_checkable
class KeyedColumns(Protocol):
    """Rows kept column by column under the ColumnSpec keys (importers.columns.ParsedColumns):
    a service that handles a large sheet reads whole columns instead of every row's values."""

    numbers: list[int]  # the rows' numbers, in row order

    def column(self, key: str) -> list[Any]: ...

    def has_issues(self) -> bool: ...

    def flagged(self) -> set[int]: ...  # the indexes of the rows with issues


def _row_issues(rows: Sequence[RowLike]) -> list[RowIssue]:
    if isinstance(rows, ColumnarRows):
        return rows.row_issues()
    return [issue for r in rows for issue in r.issues]


def _without_rows(rows: Sequence[RowLike], bad: set[int]) -> Sequence[RowLike]:
    if isinstance(rows, ColumnarRows):
        return rows.without_rows(bad)
    return [r for r in rows if r.row not in bad]


class BatchWriter:
    """Records what a batch changed so that `batch undo` can revert it."""

    def __init__(self, session: Session, batch: ImportBatch | None):
        self.session = session
        self.batch = batch
        self._changes: list[dict[str, Any]] = []

    @property
    def batch_id(self) -> int | None:
        return self.batch.id if self.batch is not None else None

    def changed(
        self,
        table: str,
        row_id: int,
        before: dict[str, Any],
        after: dict[str, Any],
        version_after: int,
    ) -> None:
        if self.batch is None:
            return
        self._changes.append(
            {
                "batch_id": self.batch.id,
                "table_name": table,
                "row_id": row_id,
                "before": audit.jsonable(before),
                "after": audit.jsonable(after),
                "version_after": version_after,
            }
        )

    def flush(self) -> None:
        if self._changes:
            from sqlalchemy import insert

            # the table, not the entity: Core executemany, without the ORM's bulk machinery
            self.session.execute(insert(metadata.tables["batch_change"]), self._changes)
            self._changes = []


def run_import(
    ctx: ServiceContext,
    *,
    kind: str,
    unit: str,
    file: FileMeta,
    rows: Sequence[RowLike],
    pre_issues: Sequence[RowIssue],
    options: ImportOptions,
    validate: Validator,
    apply: Applier,
    actor: Actor,
    notes: Sequence[str] = (),
) -> ImportReport:
    """Judge every row, then write all valid rows in one transaction or nothing.

    Schema issues (pre_issues with category "schema") stop before any row is judged.
    Raises Conflict (exit 5) when another import of the same unit is running.
    """
    report = ImportReport(total=len(rows), notes=list(notes), dry_run=options.dry_run)
    report.issues.extend(pre_issues)
    report.issues.extend(_row_issues(rows))
    if any(i.category == "schema" for i in pre_issues):
        return report
    if not rows and not report.issues:
        # an empty sheet imports nothing: say so (exit 1) rather than "done"
        report.add(
            RowIssue(1, None, None, "表格没有数据行（只有表头或为空）", "empty-file", "schema")
        )
        return report
    with ctx.transaction() as session:
        if not try_unit_lock(session, f"import:{unit}"):
            raise Conflict("本单位正在进行另一项导入，请稍后再试")
        faults.point("import.locked")
        validate(session, actor, rows, report)
        faults.point("import.validated")
        bad = report.rejected_rows
        good = _without_rows(rows, bad)
        if bad and not options.skip_invalid and not options.dry_run:
            session.rollback()
            return report
        # a dry run goes on with the good rows (rolled back below): it says what would be added
        batch = ImportBatch(
            kind=kind,
            unit=unit,
            actor_id=actor.account_id,
            actor=actor.username,
            file_name=file.name[:260],
            sha256=file.sha256,
            started_at=ctx.now,
        )
        session.add(batch)
        session.flush()
        writer = BatchWriter(session, batch)
        apply(session, actor, good, report, writer)
        writer.flush()
        # `skipped` is what was left as it was; rejected rows count only as errors (SPEC §2)
        faults.point("import.applied")
        batch.total, batch.created, batch.updated = report.total, report.created, report.updated
        batch.skipped, batch.rejected = report.skipped, len(bad)
        report.batch_id = batch.id
        audit.record(
            session,
            actor,
            ctx.now,
            f"{kind}.import",
            "import_batch",
            str(batch.id),
            after={
                "file": file.name,
                "sha256": file.sha256,
                "total": report.total,
                "created": report.created,
                "updated": report.updated,
                "skipped": report.skipped,
                "rejected": len(bad),
            },
            batch_id=batch.id,
        )
        if options.dry_run or (report.created == 0 and report.updated == 0):
            # a dry run reports what would be written; an import that changes nothing keeps
            # the batch out of the history (idempotent re-import)
            session.rollback()
            report.batch_id = None
    return report


def _view(b: ImportBatch) -> BatchView:
    return BatchView(
        b.id or 0,
        b.kind,
        b.unit,
        b.actor,
        b.file_name,
        b.sha256,
        b.total,
        b.created,
        b.updated,
        b.skipped,
        b.rejected,
        b.state,
        b.started_at,
        b.undone_at,
    )


def _visible(session: Session, actor: Actor, b: ImportBatch) -> bool:
    """A batch is the actor's when the account that ran it is in the actor's unit (and
    below): the import_batch table's scope rule, as row-level security applies it."""
    found = session.execute(
        select(col(ImportBatch.id)).where(
            col(ImportBatch.id) == b.id, unit_clause(actor, "import_batch")
        )
    ).first()
    return found is not None


def list_batches(ctx: ServiceContext, *, limit: int = 50) -> tuple[list[BatchView], int]:
    actor = ctx.require(
        "city", "district", "school", "institution", "system", action="查看导入批次"
    )
    with ctx.reading() as session:
        stmt = select(ImportBatch).where(unit_clause(actor, "import_batch"))
        total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = session.execute(stmt.order_by(col(ImportBatch.id).desc()).limit(limit)).scalars()
        return [_view(b) for b in rows], int(total)


def show_batch(ctx: ServiceContext, batch_id: int) -> BatchView:
    actor = ctx.require(
        "city", "district", "school", "institution", "system", action="查看导入批次"
    )
    with ctx.reading() as session:
        b = session.get(ImportBatch, batch_id)
        if b is None:
            raise NotFound(f"批次不存在：{batch_id}")
        if not _visible(session, actor, b):
            raise PermissionDenied("无权查看该批次")
        return _view(b)


INSERT_TABLES = ("school", "teacher", "course")
ROW_TABLES = {
    "enrollment": "batch_id",
    "transfer": "batch_id",
    "grade": "batch_id",
    "payment": "batch_id",
    "credit_declaration": "batch_id",
}
# Rows a batch inserted that must still be in their initial state to be undone
# (a transfer request approved, rejected or cancelled since is a later change; an enrollment
# dropped, voided or paid through its school's bill since is one too).
ROW_STATE_GUARDS: dict[str, dict[str, Any]] = {
    "transfer": {"state": "pending"},
    "enrollment": {"state": "active", "paid": False},
    "grade": {"version": 1},  # re-graded since
    # an imported declaration reviewed since (初审 or beyond, returned, resubmitted)
    "credit_declaration": {"state": "待初审", "round": 1},
}
# What rows of a table carry elsewhere, brought back in line after an undo: called with the
# session, the undone rows' `key` values (before and after) and the time. The area owning
# the other data registers it — services/credits: the ledger follows the grades (a batch's
# grades undone, their credits withdrawn or re-posted). An undo touching such a table without
# its follower loaded is refused rather than leaving the other data behind.
UndoFollower = Callable[[Session, set[int], datetime], None]
UNDO_FOLLOWERS: dict[str, UndoFollower] = {}
FOLLOWED: dict[str, str] = {"grade": "enrollment_id"}


def _current_versions(
    session: Session, changes: Sequence[BatchChange]
) -> dict[tuple[str, int], int]:
    """The version of every row a batch changed, read per table in chunks (not a query per row)."""
    ids: dict[str, list[int]] = {}
    for ch in changes:
        ids.setdefault(ch.table_name, []).append(ch.row_id)
    found: dict[tuple[str, int], int] = {}
    for name, row_ids in ids.items():
        t = metadata.tables[name]
        for i in range(0, len(row_ids), 500):
            chunk = row_ids[i : i + 500]
            for row_id, version in session.execute(
                select(t.c.id, t.c.version).where(t.c.id.in_(chunk))
            ):
                found[(name, row_id)] = version
    return found


def undo_batch(ctx: ServiceContext, batch_id: int) -> dict[str, int]:
    """Revert a batch's own changes when nothing later changed the same rows.

    Raises NotFound, PermissionDenied, Conflict (already undone, or rows changed since:
    the message names them and nothing is changed).
    """
    actor = ctx.require("city", "district", "school", "institution", action="撤销导入批次")
    with ctx.transaction() as session:
        b = session.get(ImportBatch, batch_id)
        if b is None:
            raise NotFound(f"批次不存在：{batch_id}")
        if not _visible(session, actor, b):
            raise PermissionDenied("无权撤销该批次")
        if b.state == "undone":
            raise Conflict(f"批次 {batch_id} 已撤销")
        faults.point("batch.undo")
        conflicts: list[str] = []
        changes = (
            session.execute(
                select(BatchChange)
                .where(col(BatchChange.batch_id) == batch_id)
                .order_by(col(BatchChange.id).desc())
            )
            .scalars()
            .all()
        )
        tables = metadata.tables
        current = _current_versions(session, changes)
        for ch in changes:
            if current.get((ch.table_name, ch.row_id)) != ch.version_after:
                conflicts.append(f"{ch.table_name}#{ch.row_id}")
        for name in INSERT_TABLES:
            t = tables[name]
            changed = (
                session.execute(
                    select(t.c.id).where(t.c.created_batch_id == batch_id, t.c.version != 1)
                )
                .scalars()
                .all()
            )
            conflicts.extend(f"{name}#{i}" for i in changed)
        for name, initial in ROW_STATE_GUARDS.items():
            t = tables[name]
            moved_on = or_(*(t.c[column] != value for column, value in initial.items()))
            decided = (
                session.execute(select(t.c.id).where(t.c.batch_id == batch_id, moved_on))
                .scalars()
                .all()
            )
            conflicts.extend(f"{name}#{i}" for i in decided)
        if conflicts:
            conflicts = _labels(session, conflicts)
            shown = "、".join(conflicts[:20]) + ("…" if len(conflicts) > 20 else "")
            raise Conflict(
                f"批次 {batch_id} 导入后这些记录又被修改过，未撤销任何数据：{shown}",
                data={"conflicts": conflicts},
            )
        counts = {"reverted": 0, "deleted": 0}
        for ch in changes:
            t = tables[ch.table_name]
            values = {k: _restore(t, k, v) for k, v in ch.before.items()}
            values["version"] = ch.version_after + 1
            session.execute(update(t).where(t.c.id == ch.row_id).values(**values))
            counts["reverted"] += 1
        enr = tables["enrollment"]
        touched = set(
            session.execute(
                select(enr.c.course_id).where(enr.c.batch_id == batch_id).distinct()
            ).scalars()
        )
        touched |= _follow_restored(session, changes)
        followed = _followed_keys(session, batch_id, changes)
        try:
            for name, column_name in ROW_TABLES.items():
                t = tables[name]
                res = session.execute(t.delete().where(t.c[column_name] == batch_id))
                counts["deleted"] += _rowcount(res)
            for name in reversed(INSERT_TABLES):
                t = tables[name]
                mine = t.c.created_batch_id == batch_id
                # only where the batch inserted rows: a school's role may not delete schools
                # or courses at all (a city's row-level security), nor needs to
                if session.execute(select(t.c.id).where(mine).limit(1)).first() is None:
                    continue
                res = session.execute(t.delete().where(mine))
                counts["deleted"] += _rowcount(res)
            if touched:
                _recount_courses(session, touched)
            for name, keys in followed.items():
                UNDO_FOLLOWERS[name](session, keys, ctx.now)
            session.flush()
        except IntegrityError as exc:
            raise Conflict(
                f"批次 {batch_id} 导入的记录已被其他数据引用（如选课、调动），无法撤销"
            ) from exc
        b.state = "undone"
        b.undone_at = ctx.now
        b.undone_by = actor.account_id
        audit.record(
            session,
            actor,
            ctx.now,
            "batch.undo",
            "import_batch",
            str(batch_id),
            after=counts,
            batch_id=batch_id,
        )
        return counts


# how a conflict names a row: Chinese table name and the column users know it by
_LABELS = {
    "school": ("学校", "code"),
    "teacher": ("教师", "learner_no"),
    "course": ("课程", "code"),
    "enrollment": ("选课记录", None),  # named by 学号 and 课程编号 (_enrollment_labels)
    "transfer": ("调动申请", None),
    "grade": ("成绩", None),
    "payment": ("缴费", None),
    "credit_declaration": ("学时申报", None),
}


def _enrollment_labels(session: Session, ids: list[int]) -> dict[int, str]:
    """ "选课记录 44012600000001/C001（已缴费）" for the enrollments `ids`."""
    tables = metadata.tables
    enr, teacher, course = tables["enrollment"], tables["teacher"], tables["course"]
    rows = session.execute(
        select(enr.c.id, teacher.c.learner_no, course.c.code, enr.c.state, enr.c.paid)
        .join(teacher, teacher.c.id == enr.c.teacher_id)
        .join(course, course.c.id == enr.c.course_id)
        .where(enr.c.id.in_(ids))
    ).all()
    states = {"dropped": "已删除", "voided": "已作废"}
    out = {}
    for eid, learner_no, code, state, paid in rows:
        why = "已缴费" if paid else states.get(state, "")
        out[int(eid)] = f"选课记录 {learner_no}/{code}" + (f"（{why}）" if why else "")
    return out


def _labels(session: Session, refs: Sequence[str]) -> list[str]:
    """Name rows as users know them: "school#12" becomes "学校 4401040001"."""
    tables = metadata.tables
    enrollments = _enrollment_labels(
        session,
        [
            int(r.partition("#")[2])
            for r in refs
            if r.startswith("enrollment#") and r[11:].isdigit()
        ],
    )
    out: list[str] = []
    for ref in refs:
        name, _, raw_id = ref.partition("#")
        if name == "enrollment" and raw_id.isdigit() and int(raw_id) in enrollments:
            out.append(enrollments[int(raw_id)])
            continue
        title, key = _LABELS.get(name, (name, None))
        label = f"{title} #{raw_id}"
        if key is not None and name in tables and raw_id.isdigit():
            t = tables[name]
            value = session.execute(select(t.c[key]).where(t.c.id == int(raw_id))).scalar()
            if value is not None:
                label = f"{title} {value}"
        out.append(label)
    return out


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _restore(table: Any, key: str, value: Any) -> Any:
    """JSON values back to column types (dates and timestamps were stored as ISO text)."""
    from datetime import date

    from sqlalchemy import Date, DateTime

    from jjadmin.models.base import TZDateTime

    col_type = table.c[key].type
    if value is None or not isinstance(value, str):
        return value
    if isinstance(col_type, TZDateTime | DateTime):
        return datetime.fromisoformat(value)
    if isinstance(col_type, Date):
        return date.fromisoformat(value)
    return value


def _follow_restored(session: Session, changes: Sequence[BatchChange]) -> set[int]:
    """What an undone change brings back with it; returns the courses whose seats changed.

    A bill back to unpaid (an undone payment import): the enrollments it paid are unpaid
    again. A special-user flag back to open (an undone collective clearing): the enrollments
    the clearing voided are active again (a bill they left must then be generated again:
    `bill pay` refuses a bill whose enrollments changed).
    """
    tables = metadata.tables
    enr, bill = tables["enrollment"], tables["bill"]
    bills = [ch.row_id for ch in changes if ch.table_name == "bill"]
    for bill_id, period, school_id in session.execute(
        select(bill.c.id, bill.c.period, bill.c.school_id).where(
            bill.c.id.in_(bills), bill.c.state == "unpaid"
        )
    ).all():
        session.execute(
            update(enr)
            .where(enr.c.period == period, enr.c.school_id == school_id, enr.c.bill_id == bill_id)
            .values(paid=False, bill_id=None)
        )
    voided = sorted(
        {
            int(i)
            for ch in changes
            if ch.table_name == "special_user"
            for i in ((ch.after or {}).get("detail") or {}).get("voided", [])
        }
    )
    courses: set[int] = set()
    for i in range(0, len(voided), 500):
        chunk = voided[i : i + 500]
        courses.update(
            session.execute(
                update(enr)
                .where(enr.c.id.in_(chunk), enr.c.state == "voided")
                .values(state="active", dropped_by=None, dropped_at=None)
                .returning(enr.c.course_id)
            ).scalars()
        )
    return courses


def _followed_keys(
    session: Session, batch_id: int, changes: Sequence[BatchChange]
) -> dict[str, set[int]]:
    """For each FOLLOWED table the batch touched, the key values of its rows (read before the
    rows are deleted or restored)."""
    found: dict[str, set[int]] = {}
    for name, key in FOLLOWED.items():
        t = metadata.tables[name]
        keys = set(session.execute(select(t.c[key]).where(t.c.batch_id == batch_id)).scalars())
        changed = [ch.row_id for ch in changes if ch.table_name == name]
        for i in range(0, len(changed), 500):
            keys.update(
                session.execute(select(t.c[key]).where(t.c.id.in_(changed[i : i + 500])))
                .scalars()
                .all()
            )
        if not keys:
            continue
        if name not in UNDO_FOLLOWERS:
            raise RuntimeError(f"undoing {name} rows needs its follower loaded")
        found[name] = {int(k) for k in keys}
    return found


def _recount_courses(session: Session, course_ids: set[int]) -> None:
    """Set-based recount of course.enrolled from active enrollments."""
    tables = metadata.tables
    course, enr = tables["course"], tables["enrollment"]
    active = (
        select(func.count())
        .select_from(enr)
        .where(enr.c.course_id == course.c.id, enr.c.state == "active")
        .scalar_subquery()
    )
    session.execute(update(course).where(course.c.id.in_(course_ids)).values(enrolled=active))
