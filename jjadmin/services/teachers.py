"""教师管理: add, import (--upsert/--sync), list/show/export, set, archive, review, principal.

Masking of ID numbers and mobiles is decided here (SPEC §3): the full values leave only with
`show_id=True` on a session that passed SMS verification in the last 30 minutes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jjadmin.clock import local
from jjadmin.db import indexes_built_after
from jjadmin.errors import (
    Conflict,
    InputRejected,
    InvalidValue,
    NotFound,
    PermissionDenied,
    UsageError,
)
from jjadmin.models import (
    Account,
    District,
    Principal,
    School,
    SpecialUser,
    Teacher,
    TeacherChange,
)
from jjadmin.models import Sequence as SequenceRow
from jjadmin.rules.codes import LEARNER_PREFIX, LEARNER_SEQ_MAX, format_learner_no
from jjadmin.rules.enums import ReviewState, TeacherStatus, check_in_list
from jjadmin.rules.ids import (
    IdNumber,
    check_birth_date,
    check_gender,
    normalize_mobile,
    normalize_school_code,
    normalize_text,
    parse_date,
    parse_gender,
    parse_id_number,
)
from jjadmin.rules.people import ADDRESS_MAX as ADDRESS_MAX
from jjadmin.rules.people import EMAIL_MAX as EMAIL_MAX
from jjadmin.rules.people import NAME_MAX as NAME_MAX
from jjadmin.rules.people import normalize_address as normalize_address
from jjadmin.rules.people import normalize_email as normalize_email
from jjadmin.rules.people import normalize_name as normalize_name
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.identity import require_verified
from jjadmin.services.imports import BatchWriter, ImportOptions, KeyedColumns, run_import
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike
from jjadmin.services.scope import (
    OUT_OF_SCOPE,
    get_school,
    school_clause,
    school_in_scope,
)

# The read paths live in teacher_views (no SQLAlchemy at start-up); re-exported for callers.
from jjadmin.services.teacher_views import ADMIN_ROLES as ADMIN_ROLES
from jjadmin.services.teacher_views import LABELS as LABELS
from jjadmin.services.teacher_views import REVIEW_LABELS as REVIEW_LABELS
from jjadmin.services.teacher_views import ROUND_LABELS as ROUND_LABELS
from jjadmin.services.teacher_views import ReviewRound as ReviewRound
from jjadmin.services.teacher_views import TeacherDetail as TeacherDetail
from jjadmin.services.teacher_views import TeacherFilter as TeacherFilter
from jjadmin.services.teacher_views import TeacherView as TeacherView
from jjadmin.services.teacher_views import check_status as check_status
from jjadmin.services.teacher_views import export_rows, mask_values
from jjadmin.services.teacher_views import list_teachers as list_teachers
from jjadmin.services.teacher_views import my_profile as my_profile
from jjadmin.services.teacher_views import review_state_value as review_state_value
from jjadmin.services.teacher_views import show_teacher as show_teacher

T: Table = Teacher.__table__  # type: ignore[attr-defined]
S: Table = School.__table__  # type: ignore[attr-defined]
A: Table = Account.__table__  # type: ignore[attr-defined]
P: Table = Principal.__table__  # type: ignore[attr-defined]
SU: Table = SpecialUser.__table__  # type: ignore[attr-defined]
TC: Table = TeacherChange.__table__  # type: ignore[attr-defined]
SEQ: Table = SequenceRow.__table__  # type: ignore[attr-defined]
D: Table = District.__table__  # type: ignore[attr-defined]

CHUNK = 500
# Above this many ID numbers one pass over the table beats IN lists of 500.
FULL_SCAN_AT = 20_000

# Fields an admin may change directly (`teacher set`, `--upsert`); name and ID number only
# through the info review (SPEC §6).
UPDATABLE = ("mobile", "stage", "subject", "title", "status", "email", "address")
_MAX_CHANGES = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(%?)")


# --- option parsers ------------------------------------------------------------------------------


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


# --- views ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddResult:
    learner_no: str
    created: bool
    changed: list[str]


@dataclass(frozen=True)
class SetResult:
    learner_no: str
    changed: list[str]


@dataclass(frozen=True)
class ArchiveResult:
    status: str
    changed: list[str]
    unchanged: list[str]
    principals_revoked: list[str]


@dataclass(frozen=True)
class ReviewResult:
    learner_no: str
    round: int
    state: str
    review_state: str


EXPORT_FIELDS = (
    "learner_no",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "mobile",
    "school_code",
    "stage",
    "subject",
    "title",
    "status",
    "email",
    "address",
    "school_name",
    "review_state",
    "is_special",
)


# --- helpers ----------------------------------------------------------------------------------


def _find_teacher(session: Session, actor: Actor, learner_no: str) -> Teacher:
    """The teacher with this 学号 inside the actor's scope.

    Raises NotFound (4) when no such 学号 exists, PermissionDenied (3) when it is out of scope.
    """
    key = normalize_text(learner_no)
    if not key:
        raise InputRejected("学号不能为空")
    teacher = session.execute(select(Teacher).where(T.c.learner_no == key)).scalar_one_or_none()
    if teacher is None:
        raise NotFound(f"学号不存在：{key}")
    school = session.get(School, teacher.school_id)
    assert school is not None
    if actor.role == "teacher" and not actor.has_role("school"):
        if actor.teacher_id != teacher.id:
            raise PermissionDenied(OUT_OF_SCOPE)
    elif not school_in_scope(actor, school):
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能操作本单位管辖范围内的教师")
    return teacher


def _snapshot(t: Teacher) -> dict[str, Any]:
    return {k: getattr(t, k) for k in ("name", "id_number", "gender", "birth_date", *UPDATABLE)}


def _audit_safe(values: dict[str, Any]) -> dict[str, Any]:
    """Audit rows never hold a full ID number or mobile (the log is readable by admins)."""
    return mask_values(values, reveal=False)


def _sync_account(session: Session, teacher_id: int, changes: dict[str, Any]) -> None:
    """Keep the teacher's login account (name, bound mobile for SMS) in step with the record."""
    values = {k: changes[k] for k in ("name", "mobile") if k in changes}
    if values:
        session.execute(update(A).where(A.c.teacher_id == teacher_id).values(**values))


def allocate_learner_numbers(session: Session, now: datetime, count: int) -> list[str]:
    """A block of `count` new 学号 for the year of `now`, in one set-based UPDATE … RETURNING.

    The counter lives in `sequence` (one row per year), so concurrent runs never get the same
    number and a number is never issued twice. A new year's counter starts after the highest
    number already present (numbers carried over from an older system stay unique).

    Raises Conflict (5) when the year's 8-digit sequence would overflow.
    """
    if count <= 0:
        return []
    year = local(now).year
    yy = f"{year % 100:02d}"
    name = f"learner_no:{yy}"
    have = session.execute(select(SEQ.c.value).where(SEQ.c.name == name)).scalar_one_or_none()
    if have is None:
        prefix = f"{LEARNER_PREFIX}{yy}"
        top = session.execute(
            select(func.max(T.c.learner_no)).where(T.c.learner_no.startswith(prefix))
        ).scalar_one_or_none()
        start = int(top[len(prefix) :]) if top and top[len(prefix) :].isdigit() else 0
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql

            session.execute(
                postgresql.insert(SEQ).values(name=name, value=start).on_conflict_do_nothing()
            )
        else:
            from sqlalchemy.dialects import sqlite

            session.execute(
                sqlite.insert(SEQ).values(name=name, value=start).on_conflict_do_nothing()
            )
    last = session.execute(
        update(SEQ)
        .where(SEQ.c.name == name)
        .values(value=SEQ.c.value + count)
        .returning(SEQ.c.value)
    ).scalar_one()
    first = last - count + 1
    if last > LEARNER_SEQ_MAX:
        raise Conflict(f"{year} 年的学号已用尽（序号超过 {LEARNER_SEQ_MAX}）")
    # format_learner_no of each number, with the prefix and the range check done once
    prefix = format_learner_no(year, first)[:-8]
    format_learner_no(year, last)
    return [f"{prefix}{n:08d}" for n in range(first, last + 1)]


class _Existing(NamedTuple):
    id: int
    learner_no: str
    id_number: str
    name: str
    school_id: int
    mobile: str
    stage: str
    subject: str
    title: str | None
    status: str
    email: str | None
    address: str | None
    version: int


_EXISTING_COLS = (
    T.c.id,
    T.c.learner_no,
    T.c.id_number,
    T.c.name,
    T.c.school_id,
    T.c.mobile,
    T.c.stage,
    T.c.subject,
    T.c.title,
    T.c.status,
    T.c.email,
    T.c.address,
    T.c.version,
)


def _existing_by_id_number(session: Session, ids: Sequence[str]) -> dict[str, _Existing]:
    """Existing teachers by ID number (see `_existing_rows`)."""
    return {k: _Existing._make(row) for k, row in _existing_rows(session, ids).items()}


_ALL_EXISTING = f"SELECT {', '.join(c.name for c in _EXISTING_COLS)} FROM {T.name}"


def _existing_rows(
    session: Session, ids: Sequence[str], ahead: ReadAhead | None = None
) -> dict[str, tuple[Any, ...]]:
    """Existing teachers by ID number, as plain rows in `_Existing` field order: IN lists of
    500, or one pass over the table when the file is large (a city roster) — or the rows
    `read_ahead_teachers` read, when they are still current — never a query per row. (A
    city's 100,000 `_Existing` tuples alone took 0.2 s: the bulk path makes one only for a
    row it looks at alone.)"""
    found: dict[str, tuple[Any, ...]] = {}
    if not ids:
        return found
    if len(ids) >= FULL_SCAN_AT:
        rows = ahead.rows if ahead is not None and ahead.current(session) else None
        if rows is None:
            # one pass on the driver's cursor: plain values (no column here needs
            # SQLAlchemy's result processing), a third of the time of SQLAlchemy rows
            rows = _fetch_all(session.connection().connection.dbapi_connection)
        wanted = set(ids)
        return {row[2]: row for row in rows if row[2] in wanted}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        for row in session.execute(select(*_EXISTING_COLS).where(T.c.id_number.in_(chunk))):
            found[row[2]] = tuple(row)
    return found


def _fetch_all(dbapi: Any) -> list[tuple[Any, ...]]:
    cursor = dbapi.cursor()
    try:
        cursor.execute(_ALL_EXISTING)
        return list(cursor.fetchall())
    finally:
        cursor.close()


READ_AHEAD = "teachers.existing"


@dataclass
class ReadAhead:
    """Every teacher, read on a SQLite connection before the import's transaction began,
    with the connection's `PRAGMA data_version` then: the rows are still what the table
    holds when the transaction runs on that same connection and no other connection has
    committed since (the version is unchanged)."""

    connection: Any
    data_version: int
    rows: list[tuple[Any, ...]]

    def current(self, session: Session) -> bool:
        conn = session.connection()
        if conn.connection.dbapi_connection is not self.connection:
            return False
        return bool(conn.exec_driver_sql("PRAGMA data_version").scalar_one() == self.data_version)


def read_ahead_teachers(ctx: ServiceContext, rows: int) -> None:
    """`ServiceLoader`'s read-ahead for a roster import: while calamine parses a sheet of
    `rows` rows, read every teacher for `_existing_rows` (a city re-import's 0.25 s, then
    hidden). Only for a sheet large enough for the one-pass lookup, and only on SQLite,
    whose `data_version` tells whether the rows are still current."""
    if rows < FULL_SCAN_AT or ctx.engine.dialect.name != "sqlite":
        return
    with ctx.engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        version = int(conn.exec_driver_sql("PRAGMA data_version").scalar_one())
        fetched = _fetch_all(dbapi)
    ctx.read_ahead[READ_AHEAD] = ReadAhead(dbapi, version, fetched)


def _diff(old: _Existing | Teacher, values: dict[str, Any]) -> dict[str, Any]:
    """Updatable fields whose given (non-blank) value differs from the stored one."""
    return {
        k: values[k]
        for k in UPDATABLE
        if values.get(k) is not None and values[k] != getattr(old, k)
    }


def _consistency(ident: IdNumber, gender: object, birth: object) -> list[tuple[str, str, str]]:
    """(column, message, code) for a 性别 / 出生日期 that disagrees with the ID number."""
    if (gender is None or gender == ident.gender) and (
        birth is None or (type(birth) is date and birth == ident.birth_date)
    ):
        return []  # parsed cells that agree: the rules below would find nothing
    problems: list[tuple[str, str, str]] = []
    for column, check, value in (
        ("性别", check_gender, gender),
        ("出生日期", check_birth_date, birth),
    ):
        try:
            check(ident, value)  # type: ignore[operator]
        except InvalidValue as exc:
            problems.append((column, exc.message, exc.code))
    return problems


def _school_label(session: Session, school_id: int) -> tuple[str, str]:
    row = session.execute(select(S.c.code, S.c.name).where(S.c.id == school_id)).one()
    return str(row[0]), str(row[1])


def _other_school_message(learner_no: str, school_code: str, school_name: str) -> str:
    return f"该身份证号已属于{school_name}（{school_code}）的教师，学号 {learner_no}"


def _transfer_hint(learner_no: str, to_code: str | None) -> str:
    return f"调入本校请使用：jjadmin transfer request {learner_no} --to {to_code or '学校代码'}"


INSERT_COLUMNS = (
    "learner_no",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "mobile",
    "school_id",
    "stage",
    "subject",
    "title",
    "status",
    "email",
    "address",
    "review_state",
    "version",
    "created_batch_id",
    "created_at",
    "updated_at",
)


NewTeacher = tuple[dict[str, Any], IdNumber, int]  # cell values, ID number, school id

# The sheet columns a new teacher's row is built from (besides 身份证号 and 学校代码).
_NEW_FROM_SHEET = ("name", "mobile", "stage", "subject", "title", "status", "email", "address")


@dataclass
class _NewTeachers:
    """New teachers column by column: the cells of `_NEW_FROM_SHEET` by key, the parsed ID
    numbers and the school ids, all in row order."""

    cells: dict[str, list[Any]]
    idents: list[IdNumber]
    school_ids: list[int]

    @classmethod
    def of_rows(cls, new: Sequence[NewTeacher]) -> _NewTeachers:
        values = [v for v, _, _ in new]
        return cls(
            {key: _column(values, key) for key in _NEW_FROM_SHEET},
            [ident for _, ident, _ in new],
            [sid for _, _, sid in new],
        )

    def __len__(self) -> int:
        return len(self.idents)


def _insert_teachers(
    session: Session,
    now: datetime,
    batch_id: int | None,
    new: _NewTeachers,
    learner_nos: Sequence[str],
) -> None:
    """Insert new teachers with one driver-level executemany of plain tuples.

    SQLAlchemy's per-row parameter processing (dates, aware timestamps) cost more than SQLite's
    own work on a 100,000-row roster, so each column's bind processor runs once per distinct
    value here: the stored representation is exactly what SQLAlchemy would store.

    Raises Conflict (5) when a concurrent run took an ID number or 学号 meanwhile.
    """
    if not new:
        return
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name == "sqlite":
        # A roster's indexes (学号, 身份证号, 姓名, 学校…) outgrow the default 2 MB page cache.
        conn.exec_driver_sql("PRAGMA cache_size=-65536")
    convert = {
        name: _memo_converter(proc)
        for name in INSERT_COLUMNS
        if (proc := T.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    }

    def bound(name: str, value: Any) -> Any:
        conv = convert.get(name)
        return value if conv is None or value is None else conv(value)

    stamp = bound("created_at", now)
    birth = convert.get("birth_date")
    active = TeacherStatus.ACTIVE.value
    count = len(new)
    # Zipped column by column (no Python call per row) into the row tuples the driver
    # wants, in INSERT_COLUMNS order.
    cells = new.cells
    idents = new.idents
    births = [ident.birth_date for ident in idents]
    statuses = cells["status"]
    params = list(
        zip(
            learner_nos,
            cells["name"],
            [ident.value for ident in idents],
            [ident.gender for ident in idents],
            births if birth is None else list(map(birth, births)),
            cells["mobile"],
            new.school_ids,
            cells["stage"],
            cells["subject"],
            cells["title"],
            [status or active for status in statuses] if None in statuses else statuses,
            cells["email"],
            cells["address"],
            repeat(ReviewState.NORMAL.value, count),
            repeat(1, count),
            repeat(batch_id, count),
            repeat(stamp, count),
            repeat(stamp, count),
            strict=True,
        )
    )
    taken = Conflict("身份证号或学号已被同时进行的另一项操作使用，未写入任何数据，请重试")
    driver = conn.connection.driver_connection
    if dialect.name == "postgresql" and driver is not None and len(params) > 1:
        # COPY is PostgreSQL's bulk path: one stream instead of one execute per row.
        try:
            with driver.cursor() as cursor:
                if hasattr(cursor, "copy"):
                    with cursor.copy(
                        f"COPY {T.name} ({', '.join(INSERT_COLUMNS)}) FROM STDIN"
                    ) as copy:
                        for values in params:
                            copy.write_row(values)
                    return
        except dialect.loaded_dbapi.IntegrityError as exc:
            raise taken from exc
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {T.name} ({', '.join(INSERT_COLUMNS)}) "
        f"VALUES ({', '.join([marker] * len(INSERT_COLUMNS))})"
    )
    try:
        # the rebuilt unique indexes refuse a 学号 or 身份证号 taken meanwhile, as inserts would
        with indexes_built_after(conn, T, len(params)):
            conn.exec_driver_sql(sql, params)  # type: ignore[arg-type]
    except IntegrityError as exc:
        raise taken from exc


def _memo_converter(proc: Any) -> Any:
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            out = seen[value] = proc(value)
            return out

    return convert


# --- add ----------------------------------------------------------------------------------------


def create_teacher(
    ctx: ServiceContext,
    *,
    name: str,
    id_number: str,
    mobile: str,
    school: str,
    stage: str,
    subject: str,
    title: str | None = None,
    status: str | None = None,
    gender: str | None = None,
    birth_date: str | None = None,
    email: str | None = None,
    address: str | None = None,
    upsert: bool = False,
) -> AddResult:
    """Add one teacher and give them a new 学号 (or, with `upsert`, update the same school's).

    Raises InputRejected (1: bad value), PermissionDenied (3), NotFound (4: school),
    Conflict (5: the ID belongs to another school's teacher — use `transfer request`; the
    teacher exists and `upsert` is off; the name differs — use the info review).
    """
    actor = ctx.require(*ADMIN_ROLES, action="新增教师")
    today = local(ctx.now).date()
    ident = parse_id_number(id_number, today=today)
    values: dict[str, Any] = {
        "name": normalize_name(name),
        "mobile": normalize_mobile(mobile),
        "stage": check_in_list("任教学段", stage),
        "subject": check_in_list("任教学科", subject),
        "title": check_in_list("职称", title) if _given(title) else None,
        "status": check_status(status) if _given(status) else None,
        "email": normalize_email(email) if _given(email) else None,
        "address": normalize_address(address) if _given(address) else None,
    }
    given_gender = parse_gender(gender) if _given(gender) else None
    given_birth = parse_date(birth_date) if _given(birth_date) else None
    for _column, message, problem in _consistency(ident, given_gender, given_birth):
        raise InvalidValue(message, code=problem)
    school_code = normalize_school_code(school)
    with ctx.transaction() as session:
        target = get_school(session, actor, school_code)
        old = _existing_by_id_number(session, [ident.value]).get(ident.value)
        if old is not None:
            return _add_existing(session, ctx, actor, old, target, values, upsert=upsert)
        (learner_no,) = allocate_learner_numbers(session, ctx.now, 1)
        one = _NewTeachers.of_rows([(values, ident, target.id or 0)])
        _insert_teachers(session, ctx.now, None, one, [learner_no])
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.add",
            "teacher",
            learner_no,
            after=_audit_safe(
                {
                    **{k: v for k, v in values.items() if v is not None},
                    "id_number": ident.value,
                    "school_code": target.code,
                }
            ),
        )
        return AddResult(learner_no, True, [])


def _given(value: str | None) -> bool:
    return value is not None and bool(normalize_text(value))


def _add_existing(
    session: Session,
    ctx: ServiceContext,
    actor: Actor,
    old: _Existing,
    target: School,
    values: dict[str, Any],
    *,
    upsert: bool,
) -> AddResult:
    if old.school_id != target.id:
        other_code, other_name = _school_label(session, old.school_id)
        raise Conflict(
            _other_school_message(old.learner_no, other_code, other_name),
            hint=_transfer_hint(old.learner_no, target.code),
        )
    if values["name"] != old.name:
        raise Conflict(
            f"该教师已存在（学号 {old.learner_no}），姓名与系统中的“{old.name}”不一致；"
            "姓名和身份证号只能通过信息审核修改",
            hint=f"jjadmin teacher submit {old.learner_no} --name 新姓名，再 teacher review 审核",
        )
    if not upsert:
        raise Conflict(
            f"该教师已存在（学号 {old.learner_no}），如需更新请加 --upsert",
            data={"learner_no": old.learner_no},
        )
    changes = _diff(old, values)
    if changes:
        before = {k: getattr(old, k) for k in changes}
        session.execute(
            update(T)
            .where(T.c.id == old.id)
            .values(**changes, version=old.version + 1, updated_at=ctx.now)
        )
        _sync_account(session, old.id, changes)
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.update",
            "teacher",
            old.learner_no,
            before=_audit_safe(before),
            after=_audit_safe(changes),
        )
    return AddResult(old.learner_no, False, sorted(changes))


# --- import -------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What validation decided for each row, handed to the apply step."""

    new: dict[int, NewTeacher] = field(default_factory=dict)
    # every row a new teacher, decided for all rows at once (`_all_plainly_new`)
    fresh: _NewTeachers | None = None
    updates: dict[int, tuple[_Existing, dict[str, Any]]] = field(default_factory=dict)
    same: set[int] = field(default_factory=set)
    archive: list[tuple[int, str, int]] = field(default_factory=list)


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


def _validate_rows(
    session: Session,
    actor: Actor,
    rows: Sequence[RowLike],
    report: ImportReport,
    plan: _Plan,
    *,
    upsert: bool,
    ahead: ReadAhead | None = None,
) -> None:
    in_scope = {
        str(code): (int(sid), str(sname))
        for sid, code, sname in session.execute(
            select(S.c.id, S.c.code, S.c.name).where(school_clause(actor, S.c))
        )
    }
    scope_ids = {sid for sid, _ in in_scope.values()}
    # The cells validation reads, one list per column: a columnar sheet's own lists, else
    # dict.get mapped in C over the rows' values.
    column = _columns_of(rows)
    idents = column("id_number")
    school_codes = column("school_code")
    codes = {c if type(c) is str else str(c) for c in school_codes if c is not None}
    unknown = sorted(codes - in_scope.keys())
    elsewhere: set[str] = set()
    for i in range(0, len(unknown), CHUNK):
        elsewhere.update(
            session.execute(select(S.c.code).where(S.c.code.in_(unknown[i : i + CHUNK])))
            .scalars()
            .all()
        )
    ids = [v.value for v in idents if isinstance(v, IdNumber)]
    existing = _existing_rows(session, ids, ahead)
    labels: dict[int, tuple[str, str]] = {}

    def label(school_id: int) -> tuple[str, str]:
        if school_id not in labels:
            labels[school_id] = _school_label(session, school_id)
        return labels[school_id]

    def issue(row: int, key: str, value: object, message: str, code: str) -> None:
        report.add(RowIssue(row, LABELS[key], _text(value), message, code, "state"))

    school_of = in_scope.get
    genders = column("gender")
    births = column("birth_date")
    given_nos = column("learner_no")
    if not existing and not report.issues:
        found = _all_plainly_new(rows, idents, school_codes, genders, births, given_nos, school_of)
        if found is not None:
            plan.fresh = _NewTeachers({k: column(k) for k in _NEW_FROM_SHEET}, idents, found)
            return
    elif not report.issues and _all_plainly_same(
        rows, column, idents, school_codes, genders, births, school_of, existing
    ):
        plan.same.update(_row_numbers(rows))
        return

    # One pass over up to 100,000 rows: the lookups are bound once, and a row whose 性别 and
    # 出生日期 agree with its ID number skips `_consistency` (which would find nothing).
    def existing_of(id_number: str) -> _Existing | None:
        row = existing.get(id_number)
        return None if row is None else _Existing._make(row)

    new_rows = plan.new
    numbers = _row_numbers(rows)
    flagged = _flagged(rows)
    names = column("name")
    updatable = [column(k) for k in UPDATABLE]
    for i, (number, ident, code, gender, birth, given_no) in enumerate(
        zip(numbers, idents, school_codes, genders, births, given_nos, strict=True)
    ):
        school: tuple[int, str] | None = None
        if code is not None:
            school = school_of(code if type(code) is str else str(code))
            if school is None:
                if code in elsewhere:
                    issue(number, "school_code", code, _row_scope_message(actor), "out-of-scope")
                else:
                    issue(number, "school_code", code, f"学校代码不存在：{code}", "school-unknown")
        if not isinstance(ident, IdNumber):
            continue
        if not (
            (gender is None or gender == ident.gender)
            and (birth is None or (type(birth) is date and birth == ident.birth_date))
        ):
            for header, message, problem in _consistency(ident, gender, birth):
                value = gender if header == "性别" else birth
                report.add(RowIssue(number, header, _text(value), message, problem, "data"))
        old = existing_of(ident.value)
        if old is None:
            if given_no is not None:
                issue(
                    number,
                    "learner_no",
                    given_no,
                    "系统中没有该身份证号的教师；新教师的学号由系统生成，请留空"
                    "（已有学号的教师请核对身份证号）",
                    "learner-no-mismatch",
                )
            elif school is not None and i not in flagged:
                new_rows[number] = (rows[i].values, ident, school[0])
            continue
        if given_no is not None and given_no != old.learner_no:
            issue(
                number,
                "learner_no",
                given_no,
                f"学号与身份证号不匹配（该身份证号的教师学号为 {old.learner_no}）",
                "learner-no-mismatch",
            )
            continue
        if old.school_id not in scope_ids or (school is not None and old.school_id != school[0]):
            other_code, other_name = label(old.school_id)
            issue(
                number,
                "id_number",
                ident.value,
                _other_school_message(old.learner_no, other_code, other_name)
                + "；"
                + _transfer_hint(old.learner_no, str(code) if code else None),
                "id-other-school",
            )
            continue
        if school is None:
            continue
        name = names[i]
        if name is not None and name != old.name:
            issue(
                number,
                "name",
                name,
                f"与系统中的姓名“{old.name}”不一致（学号 {old.learner_no}）；姓名只能通过信息审核"
                f"修改：jjadmin teacher submit {old.learner_no} --name …",
                "name-change",
            )
            continue
        changes = _diff(old, {k: given[i] for k, given in zip(UPDATABLE, updatable, strict=True)})
        if not changes:
            plan.same.add(number)
        elif not upsert:
            changed = "、".join(LABELS[k] for k in changes)
            issue(
                number,
                "id_number",
                ident.value,
                f"该教师已存在（学号 {old.learner_no}），{changed}与系统中不同，"
                "如需更新请加 --upsert",
                "teacher-exists",
            )
        else:
            plan.updates[number] = (old, changes)


def _all_plainly_new(
    rows: Sequence[RowLike],
    idents: list[Any],
    school_codes: list[Any],
    genders: list[Any],
    births: list[Any],
    given_nos: list[Any],
    school_of: Any,
) -> list[int] | None:
    """The school ids of the rows when every row is a new teacher that the per-row rules in
    `_validate_rows` would plan without a word (no teacher with these ID numbers exists: the
    caller checks), else None. Each condition is checked for all rows at once:

    every ID number parsed, every 学校代码 text in scope, no parse issue, no 学号 given, and
    性别 / 出生日期 either all blank or all equal to what the ID numbers say.
    """
    if given_nos.count(None) != len(rows):
        return None
    found = _plain_rows(rows, idents, school_codes, genders, births, school_of)
    return None if found is None else [school[0] for school in found]


def _all_plainly_same(
    rows: Sequence[RowLike],
    column: Callable[[str], list[Any]],
    idents: list[Any],
    school_codes: list[Any],
    genders: list[Any],
    births: list[Any],
    school_of: Any,
    existing: dict[str, tuple[Any, ...]],
) -> bool:
    """True when every row is an existing teacher of the school its row names whose cells say
    nothing new: what the per-row rules in `_validate_rows` would count as unchanged without
    a word (an unchanged re-import of a city roster). Each condition is checked for all
    rows at once: the conditions of `_plain_rows`, every ID number known, 学校代码 the
    teacher's own school, and 学号, 姓名 and the updatable cells blank or as stored.
    """
    found = _plain_rows(rows, idents, school_codes, genders, births, school_of)
    if found is None:
        return False
    olds = list(map(existing.get, [ident.value for ident in idents]))
    if None in olds:
        return False
    stored = partial(_stored, cast(list[tuple[Any, ...]], olds))
    if stored("school_id") != [school[0] for school in found]:
        return False
    return all(
        _blank_or_equal(column(key), stored(key)) for key in ("learner_no", "name", *UPDATABLE)
    )


def _stored(rows: list[tuple[Any, ...]], key: str) -> list[Any]:
    """The `key` field of existing rows (`_existing_rows`), in order."""
    return list(map(itemgetter(_Existing._fields.index(key)), rows))


def _plain_rows(
    rows: Sequence[RowLike],
    idents: list[Any],
    school_codes: list[Any],
    genders: list[Any],
    births: list[Any],
    school_of: Any,
) -> list[tuple[int, str]] | None:
    """The in-scope school of every row when the rows pass what `_validate_rows` checks of
    the sheet alone: every ID number parsed, every 学校代码 a text of a school in scope, no
    parse issue, and 性别 / 出生日期 all blank or all equal to what the ID numbers say;
    else None. Each condition is checked for all rows at once."""
    count = len(rows)
    if not count or set(map(type, idents)) != {IdNumber}:
        return None
    if set(map(type, school_codes)) != {str}:
        return None
    found = list(map(school_of, school_codes))
    if None in found or _any_issues(rows):
        return None
    if genders.count(None) != count and genders != [i.gender for i in idents]:
        return None
    if births.count(None) != count and (
        set(map(type, births)) != {date} or births != [i.birth_date for i in idents]
    ):
        return None
    return found


def _blank_or_equal(given: list[Any], stored: list[Any]) -> bool:
    """Every given cell blank (None) or equal to the stored value beside it."""
    return given == stored or all(g is None or g == s for g, s in zip(given, stored, strict=True))


_ISSUES = attrgetter("issues")


def _any_issues(rows: Sequence[RowLike]) -> bool:
    if isinstance(rows, KeyedColumns):
        return rows.has_issues()
    return any(map(_ISSUES, rows))


def _row_numbers(rows: Sequence[RowLike]) -> list[int]:
    if isinstance(rows, KeyedColumns):
        return rows.numbers
    return [r.row for r in rows]


def _flagged(rows: Sequence[RowLike]) -> set[int]:
    """The indexes of the rows with issues."""
    if isinstance(rows, KeyedColumns):
        return rows.flagged()
    return {i for i, r in enumerate(rows) if r.issues}


def _columns_of(rows: Sequence[RowLike]) -> Callable[[str], list[Any]]:
    """`column(key)`: every row's value of key, in row order — a columnar sheet's own list
    (`KeyedColumns`), else `[r.values.get(key) for r in rows]` with the loop in C."""
    if isinstance(rows, KeyedColumns):
        return rows.column
    cells = [r.values for r in rows]
    return lambda key: _column(cells, key)


def _column(cells: Sequence[dict[str, Any]], key: str) -> list[Any]:
    """`[v.get(key) for v in cells]`, the loop in C."""
    return list(map(dict.get, cells, repeat(key)))


def _row_scope_message(actor: Actor) -> str:
    if actor.role == "district":
        return "只能导入本区学校的教师"
    return "只能导入本校的教师"


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, IdNumber):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


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


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


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
    report.skipped += sum(1 for n in good if n in plan.same)
    if plan.archive:
        _archive_ids(session, ctx, writer, plan.archive)
        report.updated += len(plan.archive)


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
    ids = [tid for tid, _, _ in rows]
    for chunk in _chunks(ids):
        session.execute(delete(P).where(P.c.teacher_id.in_(chunk)))


# --- list / show / export -------------------------------------------------------------------------


def export_teachers(
    ctx: ServiceContext, *, filters: TeacherFilter = TeacherFilter()
) -> list[tuple[Any, ...]]:
    """Rows for `teacher export` in EXPORT_FIELDS order (full ID numbers and mobiles).

    Raises VerificationRequired (3) unless the session passed SMS verification within
    30 minutes; PermissionDenied (3), NotFound (4).
    """
    actor = ctx.require(*ADMIN_ROLES, action="导出教师信息")
    require_verified(ctx, "导出教师信息（含身份证号、手机号）")
    rows = export_rows(ctx, actor, filters)
    with ctx.transaction() as session:
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.export",
            "teacher",
            filters.school or filters.district or "all",
            after={"rows": len(rows)},
        )
    return rows


# --- set / archive ------------------------------------------------------------------------------


def set_teacher(
    ctx: ServiceContext,
    learner_no: str,
    *,
    mobile: str | None = None,
    title: str | None = None,
    stage: str | None = None,
    subject: str | None = None,
    email: str | None = None,
    address: str | None = None,
) -> SetResult:
    """Change the fields an admin may set directly (not name or ID number: see review).

    Raises InputRejected (1), NotFound (4), PermissionDenied (3). Unchanged values are fine.
    """
    actor = ctx.require(*ADMIN_ROLES, action="修改教师信息")
    given = {
        "mobile": normalize_mobile(mobile) if mobile is not None else None,
        "title": check_in_list("职称", title) if title is not None else None,
        "stage": check_in_list("任教学段", stage) if stage is not None else None,
        "subject": check_in_list("任教学科", subject) if subject is not None else None,
        "email": normalize_email(email) if email is not None else None,
        "address": normalize_address(address) if address is not None else None,
    }
    if all(v is None for v in given.values()):
        raise InputRejected(
            "没有要修改的字段",
            hint="例如 --mobile 手机号 --title 职称；姓名和身份证号请用 teacher submit/review",
        )
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        changes = {k: v for k, v in given.items() if v is not None and getattr(t, k) != v}
        if changes:
            before = {k: getattr(t, k) for k in changes}
            for k, v in changes.items():
                setattr(t, k, v)
            t.version += 1
            t.updated_at = ctx.now
            _sync_account(session, t.id or 0, changes)
            audit.record(
                session,
                actor,
                ctx.now,
                "teacher.set",
                "teacher",
                t.learner_no,
                before=_audit_safe(before),
                after=_audit_safe(changes),
            )
        return SetResult(t.learner_no, sorted(changes))


def archive_teachers(ctx: ServiceContext, learner_nos: Sequence[str], status: str) -> ArchiveResult:
    """归档: set 在岗状态 of every listed teacher (离职/退休, or back to 在职); all or nothing.

    A principal archived as 离职/退休 loses the grant.
    Raises InputRejected (1: unknown status, no 学号), NotFound (4), PermissionDenied (3).
    """
    actor = ctx.require(*ADMIN_ROLES, action="归档教师")
    target = check_status(status)
    wanted = list(dict.fromkeys(normalize_text(n) for n in learner_nos if normalize_text(n)))
    if not wanted:
        raise InputRejected("请给出至少一个学号")
    changed: list[str] = []
    unchanged: list[str] = []
    revoked: list[str] = []
    with ctx.transaction() as session:
        teachers = [_find_teacher(session, actor, n) for n in wanted]
        for t in teachers:
            if t.status == target:
                unchanged.append(t.learner_no)
                continue
            before = t.status
            t.status = target
            t.version += 1
            t.updated_at = ctx.now
            changed.append(t.learner_no)
            audit.record(
                session,
                actor,
                ctx.now,
                "teacher.archive",
                "teacher",
                t.learner_no,
                before={"status": before},
                after={"status": target},
            )
            if target != TeacherStatus.ACTIVE.value:
                gone = session.execute(delete(P).where(P.c.teacher_id == t.id))
                if gone.rowcount:  # type: ignore[attr-defined]
                    revoked.append(t.learner_no)
                    audit.record(
                        session,
                        actor,
                        ctx.now,
                        "teacher.principal.revoke",
                        "teacher",
                        t.learner_no,
                        after={"reason": f"归档为{target}"},
                    )
    return ArchiveResult(target, changed, unchanged, revoked)


# --- principal ------------------------------------------------------------------------------------


def grant_principal(ctx: ServiceContext, learner_no: str) -> str:
    """授权校长: one per school; the teacher's login then also acts as the school's admin.

    Returns the school code. Raises NotFound (4), PermissionDenied (3: another school's
    teacher), Conflict (5: not 在职, already principal, the school has a principal).
    """
    actor = ctx.require(*ADMIN_ROLES, action="授权校长")
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        if t.status != TeacherStatus.ACTIVE.value:
            raise Conflict(f"只能授权在职教师为校长（学号 {t.learner_no} 当前为{t.status}）")
        own = session.execute(select(P).where(P.c.teacher_id == t.id)).first()
        if own is not None:
            raise Conflict(f"学号 {t.learner_no} 已是校长")
        current = session.execute(
            select(T.c.learner_no, T.c.name)
            .join(P, P.c.teacher_id == T.c.id)
            .where(P.c.school_id == t.school_id)
        ).first()
        code, _ = _school_label(session, t.school_id)
        if current is not None:
            raise Conflict(
                f"本校已有校长（学号 {current[0]} {current[1]}），一个学校只能授权一位校长",
                hint=f"先取消原校长的授权：jjadmin teacher principal revoke {current[0]}",
            )
        try:
            session.execute(
                insert(P).values(
                    school_id=t.school_id,
                    teacher_id=t.id,
                    granted_by=actor.account_id,
                    granted_at=ctx.now,
                )
            )
            session.flush()
        except IntegrityError as exc:
            raise Conflict("本校已有校长（同时进行的另一项授权已生效）") from exc
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.principal.grant",
            "teacher",
            t.learner_no,
            after={"school_code": code},
        )
        return code


def revoke_principal(ctx: ServiceContext, learner_no: str) -> str:
    """Cancel a principal grant. Returns the school code.

    Raises NotFound (4), PermissionDenied (3), Conflict (5: not a principal).
    """
    actor = ctx.require(*ADMIN_ROLES, action="取消校长授权")
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        row = session.execute(select(P.c.school_id).where(P.c.teacher_id == t.id)).first()
        if row is None:
            raise Conflict(f"学号 {t.learner_no} 不是校长")
        session.execute(delete(P).where(P.c.teacher_id == t.id))
        code, _ = _school_label(session, int(row[0]))
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.principal.revoke",
            "teacher",
            t.learner_no,
            before={"school_code": code},
        )
        return code


def unlock_teacher(ctx: ServiceContext, learner_no: str) -> None:
    """Unlock a teacher's login (username = 学号) after 10 wrong passwords.

    Raises NotFound (4), PermissionDenied (3), Conflict (5: not locked).
    """
    from jjadmin.services.accounts import unlock_teacher as unlock

    unlock(ctx, normalize_text(learner_no))


# --- info review (信息审核) ---------------------------------------------------------------------


def reopen_teacher(ctx: ServiceContext, learner_no: str) -> ReviewResult:
    """重新更新: let the teacher resubmit their info (a new review round).

    Raises NotFound (4), PermissionDenied (3), Conflict (5: already reopened or submitted).
    """
    actor = ctx.require(*ADMIN_ROLES, action="重新更新教师信息")
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        if t.review_state == ReviewState.REOPENED.value:
            raise Conflict(f"学号 {t.learner_no} 已处于“重新更新”状态，等待教师提交")
        if t.review_state == ReviewState.SUBMITTED.value:
            raise Conflict(
                f"学号 {t.learner_no} 有已提交未审核的修改，请先审核",
                hint=f"jjadmin teacher review {t.learner_no} --approve 或 --reject --reason …",
            )
        change = TeacherChange(
            teacher_id=t.id or 0,
            round=_next_round(session, t.id or 0),
            state="reopened",
            reopened_by=actor.account_id,
            reopened_at=ctx.now,
        )
        session.add(change)
        t.review_state = ReviewState.REOPENED.value
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.reopen",
            "teacher",
            t.learner_no,
            after={"round": change.round},
        )
        return ReviewResult(t.learner_no, change.round, "reopened", t.review_state)


def _next_round(session: Session, teacher_id: int) -> int:
    top = session.execute(
        select(func.max(TC.c.round)).where(TC.c.teacher_id == teacher_id)
    ).scalar_one_or_none()
    return int(top or 0) + 1


def _proposed(
    ctx: ServiceContext,
    *,
    name: str | None,
    id_number: str | None,
    mobile: str | None,
    email: str | None,
    address: str | None,
    title: str | None,
) -> dict[str, Any]:
    proposed: dict[str, Any] = {}
    if name is not None:
        proposed["name"] = normalize_name(name)
    if id_number is not None:
        proposed["id_number"] = parse_id_number(id_number, today=local(ctx.now).date()).value
    if mobile is not None:
        proposed["mobile"] = normalize_mobile(mobile)
    if email is not None:
        proposed["email"] = normalize_email(email)
    if address is not None:
        proposed["address"] = normalize_address(address)
    if title is not None:
        proposed["title"] = check_in_list("职称", title)
    if not proposed:
        raise InputRejected(
            "没有要提交的修改", hint="例如 --name 姓名 --id-number 身份证号 --mobile 手机号"
        )
    return proposed


def _submit(
    session: Session,
    ctx: ServiceContext,
    actor: Actor,
    t: Teacher,
    proposed: dict[str, Any],
) -> ReviewResult:
    if t.review_state == ReviewState.SUBMITTED.value:
        raise Conflict(
            f"学号 {t.learner_no} 已有已提交未审核的修改，请等待审核",
            hint=f"jjadmin teacher review {t.learner_no} --approve 或 --reject --reason …",
        )
    changes = {k: v for k, v in proposed.items() if getattr(t, k) != v}
    if not changes:
        raise Conflict("提交的信息与当前信息相同，无需审核")
    if "id_number" in changes:
        _check_id_free(session, t, changes["id_number"])
    before = {k: getattr(t, k) for k in changes}
    open_round = session.execute(
        select(TeacherChange)
        .where(TC.c.teacher_id == t.id, TC.c.state == "reopened")
        .order_by(TC.c.round.desc())
        .limit(1)
    ).scalar_one_or_none()
    if open_round is None:
        open_round = TeacherChange(
            teacher_id=t.id or 0, round=_next_round(session, t.id or 0), state="submitted"
        )
        session.add(open_round)
    open_round.state = "submitted"
    open_round.changes = changes
    open_round.before = audit.jsonable(before)
    open_round.submitted_by = actor.account_id
    open_round.submitted_at = ctx.now
    t.review_state = ReviewState.SUBMITTED.value
    session.flush()
    audit.record(
        session,
        actor,
        ctx.now,
        "teacher.submit",
        "teacher",
        t.learner_no,
        before=_audit_safe(before),
        after=_audit_safe(changes),
    )
    return ReviewResult(t.learner_no, open_round.round, "submitted", t.review_state)


def _check_id_free(session: Session, t: Teacher, id_number: str) -> None:
    other = session.execute(
        select(T.c.learner_no).where(T.c.id_number == id_number, T.c.id != t.id)
    ).scalar_one_or_none()
    if other is not None:
        raise Conflict(f"身份证号已被其他教师使用（学号 {other}）")


def submit_change(
    ctx: ServiceContext,
    learner_no: str,
    *,
    name: str | None = None,
    id_number: str | None = None,
    mobile: str | None = None,
    email: str | None = None,
    address: str | None = None,
    title: str | None = None,
) -> ReviewResult:
    """An admin submits a change on the teacher's behalf; it waits as 已提交未审核.

    Raises InputRejected (1: bad value, nothing to submit), NotFound (4),
    PermissionDenied (3), Conflict (5: already submitted, ID number in use, no difference).
    """
    actor = ctx.require(*ADMIN_ROLES, action="代教师提交信息修改")
    proposed = _proposed(
        ctx,
        name=name,
        id_number=id_number,
        mobile=mobile,
        email=email,
        address=address,
        title=title,
    )
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        return _submit(session, ctx, actor, t, proposed)


def review_change(
    ctx: ServiceContext, learner_no: str, *, approve: bool, reason: str | None = None
) -> ReviewResult:
    """审核: approve (apply the submitted change, re-validating the ID number) or reject.

    Raises UsageError (2: reject without reason), NotFound (4), PermissionDenied (3),
    Conflict (5: nothing submitted; the new ID number is now taken), InputRejected (1).
    """
    actor = ctx.require(*ADMIN_ROLES, action="审核教师信息")
    reason = normalize_text(reason) if reason is not None else None
    if not approve and not reason:
        raise UsageError("驳回需要说明原因", hint="加 --reason 原因")
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        change = session.execute(
            select(TeacherChange)
            .where(TC.c.teacher_id == t.id, TC.c.state == "submitted")
            .order_by(TC.c.round.desc())
            .limit(1)
        ).scalar_one_or_none()
        if t.review_state != ReviewState.SUBMITTED.value or change is None:
            raise Conflict(
                f"学号 {t.learner_no} 没有已提交待审核的信息修改",
                hint="先由教师提交（jjadmin me update）或代为提交："
                f"jjadmin teacher submit {t.learner_no}",
            )
        change.reviewed_by = actor.account_id
        change.reviewed_at = ctx.now
        change.reason = reason
        if approve:
            applied = _apply_change(session, ctx, t, dict(change.changes or {}))
            change.state = "approved"
            t.review_state = ReviewState.NORMAL.value
            audit.record(
                session,
                actor,
                ctx.now,
                "teacher.review.approve",
                "teacher",
                t.learner_no,
                before=_audit_safe(dict(change.before or {})),
                after=_audit_safe(applied),
            )
        else:
            change.state = "rejected"
            t.review_state = ReviewState.REJECTED.value
            audit.record(
                session,
                actor,
                ctx.now,
                "teacher.review.reject",
                "teacher",
                t.learner_no,
                after={"reason": reason, "round": change.round},
            )
        return ReviewResult(t.learner_no, change.round, change.state, t.review_state)


def _apply_change(
    session: Session, ctx: ServiceContext, t: Teacher, changes: dict[str, Any]
) -> dict[str, Any]:
    applied: dict[str, Any] = {}
    if "id_number" in changes:
        ident = parse_id_number(changes["id_number"], today=local(ctx.now).date())
        _check_id_free(session, t, ident.value)
        applied.update(id_number=ident.value, gender=ident.gender, birth_date=ident.birth_date)
    for key in ("name", "mobile", "email", "address", "title"):
        if key in changes:
            applied[key] = changes[key]
    for key, value in applied.items():
        setattr(t, key, value)
    t.version += 1
    t.updated_at = ctx.now
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("身份证号已被其他教师使用") from exc
    _sync_account(session, t.id or 0, applied)
    return applied


# --- me (学员) -----------------------------------------------------------------------------------


def update_my_info(
    ctx: ServiceContext,
    *,
    name: str | None = None,
    id_number: str | None = None,
    mobile: str | None = None,
    email: str | None = None,
    address: str | None = None,
    title: str | None = None,
) -> ReviewResult:
    """信息更新: the teacher submits a change for review (name and ID number only after the
    school admin's 重新更新).

    Raises InputRejected (1), PermissionDenied (3), Conflict (5: not reopened for name/ID,
    already submitted, ID number in use, no difference).
    """
    actor = ctx.require("teacher", action="提交个人信息修改")
    proposed = _proposed(
        ctx,
        name=name,
        id_number=id_number,
        mobile=mobile,
        email=email,
        address=address,
        title=title,
    )
    with ctx.transaction() as session:
        t = session.get(Teacher, actor.teacher_id)
        if t is None:
            raise NotFound("找不到当前账号对应的教师记录")
        identity = {
            k for k in ("name", "id_number") if k in proposed and proposed[k] != getattr(t, k)
        }
        if identity and t.review_state != ReviewState.REOPENED.value:
            raise Conflict(
                "姓名和身份证号需学校继续教育管理员“重新更新”后才能修改",
                hint=f"请联系学校管理员执行：jjadmin teacher reopen {t.learner_no}",
            )
        return _submit(session, ctx, actor, t, proposed)
