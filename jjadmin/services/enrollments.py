"""选课管理: collective enrollment (by course, by teacher, from a sheet), self-selection, drop,
选课查询 and 选课统计 (SPEC §6 Enroll).

Every way of enrolling goes through one planner (`_plan`) and one writer (`_apply`):

- the planner judges every requested (teacher, course) pair against the rules — teacher 在职,
  in the actor's scope, not a special user; course online, of the period, open to the
  teacher, not 提升工程 unless the teacher selects it; no duplicates; seats left — and
  collects row issues instead of stopping. It works set-based, column by column: the
  teacher rules are judged once per distinct teacher, the course rules once per course
  (and school, where the level depends on it), and only rows that fail a rule are looked at
  one by one;
- the writer takes the seats set-based, one guarded UPDATE per course
  (`enrolled = enrolled + n WHERE enrolled + n <= capacity`), then inserts the enrollments
  in large multi-row statements, all in the caller's transaction. The courses of a batch are locked
  first (PostgreSQL: SELECT … FOR UPDATE in id order; SQLite: the write transaction is
  BEGIN IMMEDIATE), so two runs competing for the last seats are serialised and the loser is
  told how many seats were left. The guarded UPDATE and the CHECK constraint stay as the
  last line of defence.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import chain, compress, islice
from operator import eq
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

from sqlalchemy import ColumnElement, Table, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.clock import local
from jjadmin.db import indexes_built_after
from jjadmin.errors import Conflict, InputRejected, InvalidValue, NotFound, PermissionDenied
from jjadmin.models import (
    Course,
    Enrollment,
    Period,
    School,
    SpecialUser,
    Teacher,
)
from jjadmin.rules.codes import normalize_course_code, normalize_learner_no, parse_period_code
from jjadmin.rules.courses import APPROVED, OPEN_LEVELS, course_visible_to_teacher
from jjadmin.rules.enums import EnrollmentState, TeacherStatus, TrainingLevel
from jjadmin.rules.money import format_hours, format_money
from jjadmin.rules.windows import in_selection_window
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext

# 选课统计 lives in services/enroll_stats.py (runs without SQLAlchemy); re-exported here.
from jjadmin.services.enroll_stats import STATS_BY as STATS_BY
from jjadmin.services.enroll_stats import StatsResult as StatsResult
from jjadmin.services.enroll_stats import StatsRow as StatsRow
from jjadmin.services.enroll_stats import enrollment_stats as enrollment_stats
from jjadmin.services.imports import BatchWriter, ImportOptions, run_import
from jjadmin.services.period_lookup import current_period_code, get_period
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike
from jjadmin.services.scope import OUT_OF_SCOPE, school_clause
from jjadmin.services.verification import require_verified

__all__ = [
    "ABILITY_ONLY_SELF",
    "CapacityExceeded",
    "DropResult",
    "EnrollRow",
    "EnrollmentFilter",
    "EnrollmentView",
    "SelectionWindowClosed",
    "StatsResult",
    "StatsRow",
    "add_enrollments",
    "drop_enrollment",
    "drop_own_enrollment",
    "enroll_self",
    "enrollment_stats",
    "export_enrollments",
    "import_enrollments",
    "list_enrollments",
]

ADMIN_ROLES = ("city", "district", "school")
READ_ROLES = ("city", "district", "school", "institution", "system", "teacher")
ACTIVE = EnrollmentState.ACTIVE.value
DROPPED = EnrollmentState.DROPPED.value
ONLINE = "上线"
ABILITY = TrainingLevel.ABILITY_PROJECT.value
ABILITY_ONLY_SELF = "“能力提升工程”的课程只能由教师个人自主测评后选课，不支持学校管理员集体选课"
CHUNK = 500
INSERT_CHUNK = 5000
# Above this many distinct learner numbers one scan of the teacher table beats IN lists.
SCAN_TEACHERS_ABOVE = 2000
# Above this many requested pairs, read the period's active enrollments of the batch's
# courses in one query instead of by teacher chunks.
SCAN_ENROLLMENTS_ABOVE = 5000

COL_LEARNER = "学号"
COL_COURSE = "课程编号"
COL_NAME = "姓名"

Mode = Literal["admin", "import", "self"]
COURSE_T: Table = Course.__table__  # type: ignore[attr-defined]
ENROLLMENT_T: Table = Enrollment.__table__  # type: ignore[attr-defined]
_SPACES = re.compile(r"\s+")


class SelectionWindowClosed(Conflict):
    """Outside the period's selection window (exit 5)."""

    code = "window-closed"


class CapacityExceeded(Conflict):
    """Seats ran out while writing (another run took them first) (exit 5)."""

    code = "capacity-exceeded"


@dataclass
class EnrollRow:
    """One requested (teacher, course) pair; `row` is its row number in the sheet or list."""

    row: int
    values: dict[str, Any]
    issues: list[RowIssue] = field(default_factory=list)


class _Teacher(NamedTuple):
    id: int
    learner_no: str
    name: str
    school_id: int
    status: str
    district: str


class _CourseInfo(NamedTuple):
    """What the planner needs of a course (plain values: ORM attribute access per row
    would dominate a 500,000-row import)."""

    id: int
    code: str
    name: str
    level: str
    status: str
    district_code: str | None
    school_id: int | None
    approval: str
    capacity: int | None
    enrolled: int


class PairColumns(NamedTuple):
    """The requested pairs of the rows without format issues, column by column: row numbers,
    学号, 课程编号 and 姓名 (None when the sheet has no 姓名 column)."""

    rows: Sequence[int]
    learner_nos: Sequence[Any]
    course_codes: Sequence[Any]
    names: Sequence[Any] | None


@runtime_checkable
class PairSource(Protocol):
    """Rows that hand over their requested pairs column by column (a large sheet's reader),
    so that planning never needs one object per row."""

    def pair_columns(self) -> PairColumns: ...


# a (teacher, course) pair as one int: teacher id << 32 | course id (ids are 32-bit)
PAIR_SHIFT = 32
COURSE_MASK = (1 << PAIR_SHIFT) - 1


@dataclass
class _Plan:
    period: str
    courses: dict[int, _CourseInfo]
    teachers: dict[int, _Teacher]
    # the new enrollments as pairs (teacher id << 32 | course id) and their row numbers, in
    # request order
    pairs: list[int] = field(default_factory=list)
    rows: Sequence[int] = field(default_factory=list)
    # how many requested pairs are enrolled already (skipped)
    existing: int = 0

    def seats(self) -> Counter[int]:
        """Course id → how many new enrollments."""
        return Counter(map(COURSE_MASK.__and__, self.pairs))


# ---------------------------------------------------------------------------------------------
# window and scope


def _day(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m-%d")


def _window_text(p: Period) -> str:
    return f"{_day(p.select_from)} 至 {_day(p.select_to)}"


def _open_period(
    session: Session, ctx: ServiceContext, actor: Actor, code: str, *, force: bool
) -> tuple[Period, bool]:
    """The period if enrolling is allowed now; (period, True) when the city forces it.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3, --force by a non-city
    account), SelectionWindowClosed (5).
    """
    if force and actor.role != "city":
        raise PermissionDenied(
            "只有市级培训中心可以在选课时间外强制选课（--force）",
            hint="请在选课时间内操作，或联系市级培训中心",
        )
    p = get_period(session, code)
    if in_selection_window(p, ctx.now):
        return p, False
    if force:
        return p, True
    hint = None
    if actor.role == "city":
        hint = "市级培训中心可加 --force 强制选课（记入审计日志）"
    raise SelectionWindowClosed(f"不在选课时间内（{_window_text(p)}）", hint=hint)


def _teacher_in_scope(actor: Actor, t: _Teacher) -> bool:
    if actor.role in ("city", "system"):
        return True
    if actor.role == "district":
        return actor.district_code is not None and t.district == actor.district_code
    if actor.role == "teacher" and actor.principal_school_id is None:
        return actor.teacher_id == t.id
    sid = actor.acting_school_id
    return sid is not None and t.school_id == sid


def _scope_hint(actor: Actor) -> str:
    if actor.role == "district":
        return "只能为本区学校的教师选课"
    return "只能为本校教师选课"


# ---------------------------------------------------------------------------------------------
# lookups (set-based)


def _teacher_stmt() -> Any:
    return select(
        col(Teacher.id),
        col(Teacher.learner_no),
        col(Teacher.name),
        col(Teacher.school_id),
        col(Teacher.status),
        col(School.district_code),
    ).join(School, col(School.id) == col(Teacher.school_id))


def _load_teachers(session: Session, learner_nos: set[str]) -> dict[str, _Teacher]:
    found: dict[str, _Teacher] = {}
    if len(learner_nos) > SCAN_TEACHERS_ABOVE:
        # a large batch names most teachers of the city: one scan, at the Core level (the
        # ORM's per-row result handling would cost more than the query)
        for t in map(_Teacher._make, session.connection().execute(_teacher_stmt()).all()):
            if t.learner_no in learner_nos:
                found[t.learner_no] = t
        return found
    wanted = sorted(learner_nos)
    for i in range(0, len(wanted), CHUNK):
        chunk = wanted[i : i + CHUNK]
        for r in session.execute(_teacher_stmt().where(col(Teacher.learner_no).in_(chunk))):
            found[r[1]] = _Teacher(*r)
    return found


def _special_teachers(session: Session, teacher_ids: set[int]) -> set[int]:
    stmt = (
        select(col(SpecialUser.teacher_id)).where(col(SpecialUser.cleared_at).is_(None)).distinct()
    )
    flagged = set(session.execute(stmt).scalars())
    return flagged & teacher_ids


def _load_courses(session: Session, period: str, codes: set[str]) -> dict[str, _CourseInfo]:
    """Courses of the period by code, locked in id order (PostgreSQL row locks)."""
    ids: list[int] = []
    wanted = sorted(codes)
    for i in range(0, len(wanted), CHUNK):
        found_ids = session.execute(
            select(col(Course.id)).where(
                col(Course.period) == period, col(Course.code).in_(wanted[i : i + CHUNK])
            )
        ).scalars()
        ids.extend(cid for cid in found_ids if cid is not None)
    ids.sort()
    c = COURSE_T.c
    found: dict[str, _CourseInfo] = {}
    for i in range(0, len(ids), CHUNK):
        stmt = (
            select(
                c.id,
                c.code,
                c.name,
                c.level,
                c.status,
                c.district_code,
                c.school_id,
                c.approval,
                c.capacity,
                c.enrolled,
            )
            .where(c.id.in_(ids[i : i + CHUNK]))
            .order_by(c.id)
            .with_for_update()
        )
        for r in session.execute(stmt):
            found[r[1]] = _CourseInfo._make(r)
    return found


def _existing_pairs(
    session: Session, period: str, course_ids: set[int], teacher_ids: set[int], pairs: int
) -> set[int]:
    """The pairs (teacher id << 32 | course id) already actively enrolled, among the batch's
    courses and teachers (a large batch: all of its courses')."""
    found: set[int] = set()
    if not course_ids or not teacher_ids:
        return found
    e = ENROLLMENT_T.c
    courses = sorted(course_ids)
    if pairs > SCAN_ENROLLMENTS_ABOVE:
        for i in range(0, len(courses), CHUNK):
            stmt = select(e.course_id, e.teacher_id).where(
                e.period == period, e.state == ACTIVE, e.course_id.in_(courses[i : i + CHUNK])
            )
            found.update((tid << PAIR_SHIFT) | cid for cid, tid in session.execute(stmt))
        return found
    teachers = sorted(teacher_ids)
    for i in range(0, len(teachers), CHUNK):
        stmt = select(e.course_id, e.teacher_id).where(
            e.state == ACTIVE,
            e.teacher_id.in_(teachers[i : i + CHUNK]),
            e.course_id.in_(courses),
        )
        found.update((tid << PAIR_SHIFT) | cid for cid, tid in session.execute(stmt))
    return found


# ---------------------------------------------------------------------------------------------
# planning


def _issue(row: int, column: str, value: object, message: str, code: str) -> RowIssue:
    return RowIssue(row, column, None if value is None else str(value), message, code, "state")


def _same_name(given: object, actual: str) -> bool:
    return _SPACES.sub("", str(given)) == _SPACES.sub("", actual)


def _course_problem(course: _CourseInfo, t: _Teacher, mode: Mode) -> tuple[str, str] | None:
    """(message, code) when `t` may not select `course`; None when it may."""
    if course.status != ONLINE:
        return f"课程 {course.code} 未上线（状态：{course.status}），不能选课", "course-offline"
    if course.level == ABILITY and mode != "self":
        return ABILITY_ONLY_SELF, "ability-self-only"
    if course_visible_to_teacher(course, t.school_id, t.district):
        return None
    if course.level == TrainingLevel.DISTRICT:
        return f"课程 {course.code} 是区级培训课程，只对本区教师开放", "course-not-open"
    if course.level == TrainingLevel.SCHOOL_BASED:
        if course.school_id == t.school_id and course.approval != APPROVED:
            return f"校本课程 {course.code} 尚未审批通过，不能选课", "course-not-approved"
        return f"课程 {course.code} 是其他学校的校本培训课程，只对该校教师开放", "course-not-open"
    return f"课程 {course.code} 不对该教师开放", "course-not-open"


def _open_to_all(course: _CourseInfo, mode: Mode) -> bool:
    """Whether every teacher may select `course` (online, a level that bounds no one, not
    提升工程 unless selected by the teacher): then no row of it needs judging one by one."""
    return course.level in OPEN_LEVELS and _course_problem(course, _ANYONE, mode) is None


# stands in for "any teacher" where a course's level does not depend on the teacher
_ANYONE = _Teacher(0, "", "", 0, "", "")


def _pair_columns(rows: Sequence[RowLike]) -> PairColumns:
    """The requested pairs of the rows without format issues, column by column."""
    if isinstance(rows, PairSource):
        return rows.pair_columns()
    clean = [r for r in rows if not r.issues]
    return PairColumns(
        [r.row for r in clean],
        [r.values.get("learner_no") for r in clean],
        [r.values.get("course_code") for r in clean],
        [r.values.get("name") for r in clean],
    )


class _Judge:
    """Judges the requested pairs against the loaded teachers, courses and enrollments."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        period: str,
        pairs: PairColumns,
        report: ImportReport,
        mode: Mode,
    ) -> None:
        learner_nos = {str(v) for v in set(pairs.learner_nos) if v}
        codes = {str(v) for v in set(pairs.course_codes) if v}
        self.actor, self.period, self.report, self.mode = actor, period, report, mode
        self.teachers = _load_teachers(session, learner_nos)
        self.courses = _load_courses(session, period, codes)
        self.special = _special_teachers(session, {t.id for t in self.teachers.values()})
        self.existing = _existing_pairs(
            session,
            period,
            {c.id for c in self.courses.values()},
            {t.id for t in self.teachers.values()},
            len(pairs.rows),
        )
        # teachers who pass every teacher rule: their rows need no judging one by one
        in_post, special = TeacherStatus.ACTIVE.value, self.special
        everyone = actor.role in ("city", "system")
        self.eligible = {
            ln: t
            for ln, t in self.teachers.items()
            if t.status == in_post
            and t.id not in special
            and (everyone or _teacher_in_scope(actor, t))
        }
        # (course id, school id) → the course rule's verdict (same for every teacher there)
        self.verdicts: dict[tuple[int, int], tuple[str, str] | None] = {}

    def issue(self, row: int, column: str, value: object, message: str, code: str) -> None:
        self.report.add(_issue(row, column, value, message, code))

    def resolve(self, pairs: PairColumns) -> tuple[list[int | None], list[int | None]]:
        """Teacher id and course id of every row; (None, None) where a rule refuses the row
        (its issue recorded).

        Whole columns are looked up at once against the eligible teachers and the courses
        open to everyone; a row is judged on its own only when that lookup fails or its
        姓名 differs from the teacher's. Raises PermissionDenied (3) in "admin" mode for a
        teacher outside the actor's scope.
        """
        teacher_ids = {ln: t.id for ln, t in self.eligible.items()}
        open_ids = {code: c.id for code, c in self.courses.items() if _open_to_all(c, self.mode)}
        tids: list[int | None] = list(map(teacher_ids.get, pairs.learner_nos))
        cids: list[int | None] = list(map(open_ids.get, pairs.course_codes))
        single: set[int] = set()
        if None in tids or None in cids:
            single.update(
                i for i, (t, c) in enumerate(zip(tids, cids, strict=True)) if t is None or c is None
            )
        if pairs.names is not None:
            single.update(self._other_names(pairs.learner_nos, pairs.names))
        for i in sorted(single):
            tids[i], cids[i] = self._row(pairs, i)
        return tids, cids

    def _other_names(self, learner_nos: Sequence[Any], names: Sequence[Any]) -> list[int]:
        """Rows whose 姓名 is given and is not the eligible teacher's (spaces aside)."""
        name_of = {ln: t.name for ln, t in self.eligible.items()}
        actual = list(map(name_of.get, learner_nos))
        if actual == names:
            return []
        return [
            i
            for i, (given, known) in enumerate(zip(names, actual, strict=True))
            if given and given != known and not (known and _same_name(given, known))
        ]

    def _row(self, pairs: PairColumns, i: int) -> tuple[int | None, int | None]:
        ln, code = pairs.learner_nos[i], pairs.course_codes[i]
        if not ln or not code:
            return None, None
        row = pairs.rows[i]
        t = self.teacher(row, str(ln), None if pairs.names is None else pairs.names[i])
        if t is None:
            return None, None
        course = self.course(row, str(code), t)
        if course is None:
            return None, None
        return t.id, course.id

    def teacher(self, row: int, ln: str, name: object) -> _Teacher | None:
        """The teacher if they may be enrolled by this actor; else None (issue recorded).

        Raises PermissionDenied in "admin" mode for a teacher outside the scope.
        """
        t = self.teachers.get(ln)
        if t is None:
            self.issue(row, COL_LEARNER, ln, f"学号不存在：{ln}", "teacher-unknown")
            return None
        if not _teacher_in_scope(self.actor, t):
            if self.mode == "admin":
                raise PermissionDenied(f"学号 {ln}：{OUT_OF_SCOPE}", hint=_scope_hint(self.actor))
            self.issue(row, COL_LEARNER, ln, OUT_OF_SCOPE, "out-of-scope")
            return None
        if name and not _same_name(name, t.name):
            message = f"姓名“{name}”与学号 {ln} 的教师不一致（请检查是否错行）"
            self.issue(row, COL_NAME, name, message, "name-mismatch")
            return None
        if t.status != TeacherStatus.ACTIVE:
            message = f"教师 {ln} 的在岗状态为“{t.status}”，只有在职教师可以选课"
            self.issue(row, COL_LEARNER, ln, message, "teacher-not-active")
            return None
        if t.id in self.special:
            message = f"教师 {ln} 是特殊用户（有选课未缴费），须到市级培训中心消除后才能选课"
            self.issue(row, COL_LEARNER, ln, message, "special-user")
            return None
        return t

    def course(self, row: int, code: str, t: _Teacher) -> _CourseInfo | None:
        """The course if `t` may select it; else None (issue recorded)."""
        course = self.courses.get(code)
        if course is None:
            message = f"{self.period} 期没有课程编号为 {code} 的课程"
            self.issue(row, COL_COURSE, code, message, "course-unknown")
            return None
        key = (course.id, t.school_id)
        if key in self.verdicts:
            problem = self.verdicts[key]
        else:
            problem = self.verdicts[key] = _course_problem(course, t, self.mode)
        if problem is not None:
            self.issue(row, COL_COURSE, code, problem[0], problem[1])
            return None
        return course


def _plan(
    session: Session,
    actor: Actor,
    period: str,
    rows: Sequence[RowLike],
    report: ImportReport,
    *,
    mode: Mode,
    skip_invalid: bool,
) -> _Plan:
    """Judge every row; issues go to `report`, the accepted pairs into the plan.

    Raises PermissionDenied (3) in "admin" mode for a teacher outside the actor's scope
    (`enroll add` names the teachers itself, so it is refused whole).
    """
    requested = _pair_columns(rows)
    judge = _Judge(session, actor, period, requested, report, mode)
    plan = _Plan(
        period,
        {c.id: c for c in judge.courses.values()},
        {t.id: t for t in judge.teachers.values()},
    )
    tids, cids = judge.resolve(requested)
    numbers: Sequence[int] = requested.rows
    codes: Sequence[Any] = requested.course_codes
    if None in tids:
        keep = [t is not None for t in tids]
        numbers, codes = list(compress(numbers, keep)), list(compress(codes, keep))
    pairs = [
        (t << PAIR_SHIFT) | c
        for t, c in zip(tids, cids, strict=True)
        if t is not None and c is not None
    ]
    lines: Sequence[int] = numbers
    if _has_repeats(pairs):
        pairs, lines = _drop_repeats(pairs, lines, codes, report)
    if judge.existing and not judge.existing.isdisjoint(pairs):
        new = [p not in judge.existing for p in pairs]
        plan.existing = len(pairs) - sum(new)
        pairs, lines = list(compress(pairs, new)), list(compress(lines, new))
    plan.pairs, plan.rows = pairs, lines
    _check_capacity(plan, report, skip_invalid=skip_invalid)
    return plan


def _has_repeats(pairs: list[int]) -> bool:
    """Whether a pair occurs twice (sorting a mostly ordered list beats hashing 500,000 ints)."""
    ordered = sorted(pairs)
    return any(map(eq, ordered, islice(ordered, 1, None)))


def _drop_repeats(
    pairs: list[int], lines: Sequence[int], codes: Sequence[Any], report: ImportReport
) -> tuple[list[int], list[int]]:
    """Keep the first row of every pair; a later row repeating it is a row error naming it."""
    first: dict[int, int] = {}
    keep: list[bool] = []
    for k, pair in enumerate(pairs):
        at = first.setdefault(pair, k)
        if at != k:
            message = f"与第 {lines[at]} 行重复（同一教师同一课程）"
            report.add(_issue(lines[k], COL_COURSE, codes[k], message, "duplicate-in-file"))
        keep.append(at == k)
    return list(compress(pairs, keep)), list(compress(lines, keep))


def _check_capacity(plan: _Plan, report: ImportReport, *, skip_invalid: bool) -> None:
    """Refuse what does not fit: every new row of the course, or (skip_invalid) the rows past
    the remaining seats, in request order."""
    if all(c.capacity is None for c in plan.courses.values()):
        return
    need = plan.seats()
    left: dict[int, int] = {}  # course id → seats left, for the courses that do not fit
    for course_id, n in need.items():
        capacity, enrolled = plan.courses[course_id].capacity, plan.courses[course_id].enrolled
        if capacity is not None and n > max(capacity - enrolled, 0):
            left[course_id] = max(capacity - enrolled, 0)
    if not left:
        return
    taken: Counter[int] = Counter()
    keep: list[bool] = []
    for pair, row in zip(plan.pairs, plan.rows, strict=True):
        course_id = pair & COURSE_MASK
        remaining = left.get(course_id)
        fits = remaining is None or (skip_invalid and taken[course_id] < remaining)
        if remaining is not None and fits:
            taken[course_id] += 1
        if not fits:
            code = plan.courses[course_id].code
            message = f"课程 {code} 剩余名额 {remaining}，本次需 {need[course_id]}"
            report.add(_issue(row, COL_COURSE, code, message, "capacity"))
        keep.append(fits)
    plan.pairs, plan.rows = list(compress(plan.pairs, keep)), list(compress(plan.rows, keep))


# ---------------------------------------------------------------------------------------------
# writing


def _db_value(column: Any, value: object, dialect: Any) -> object:
    """`value` as the driver wants it for `column` (the column type's bind processing)."""
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor is not None else value


def _take_seats(session: Session, plan: _Plan) -> None:
    """One guarded UPDATE per course: the seats are taken only if they are still free.

    Raises CapacityExceeded (5).
    """
    c = COURSE_T.c
    for course_id, n in sorted(plan.seats().items()):
        result = session.execute(
            update(COURSE_T)
            .where(c.id == course_id, or_(c.capacity.is_(None), c.enrolled + n <= c.capacity))
            .values(enrolled=c.enrolled + n)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            code = plan.courses[course_id].code
            raise CapacityExceeded(
                f"课程 {code} 名额不足（其他人刚刚选满了剩余名额），本次未写入任何选课",
                hint="用 jjadmin enroll list 查看当前选课情况后重试",
            )


INSERT_COLUMNS = (
    "period",
    "course_id",
    "teacher_id",
    "school_id",
    "state",
    "paid",
    "source",
    "created_by",
    "created_at",
    "batch_id",
)
# the same for every row of a batch, in INSERT_COLUMNS order
CONSTANT_COLUMNS = ("period", "state", "paid", "source", "created_by", "created_at", "batch_id")
# SQLite: rows per multi-row INSERT (bounded by the driver's bound-parameter limit)
SQLITE_INSERT_ROWS = 10_000
# SQLite: from this many rows on, the insert runs with a larger page cache: the default 2 MB
# cannot hold the index pages a large batch keeps writing to (one per school in the
# (period, school) index), and re-reading spilled pages costs more than the inserts.
LARGE_INSERT_ROWS = 20_000
LARGE_INSERT_CACHE_KIB = 32 * 1024

Inserter = Callable[[list[int], list[int], list[int]], None]


def _apply(
    session: Session,
    ctx: ServiceContext,
    actor: Actor,
    plan: _Plan,
    report: ImportReport,
    *,
    source: str,
    batch_id: int | None = None,
) -> int:
    """Take the seats and insert the planned enrollments; returns how many were created.

    The rows go to the driver as plain values, many rows per statement: at 500,000 rows
    SQLAlchemy's per-row parameter processing, or even the driver's per-row executemany,
    would cost more than the database's own work. Every value still passes its column
    type's bind processing (once, since all but three are constant).

    Raises CapacityExceeded (5) when a guarded seat update finds the course full, Conflict
    (5) when another run inserted the same enrollment meanwhile.
    """
    _take_seats(session, plan)
    conn = session.connection()
    dialect = conn.dialect
    c = ENROLLMENT_T.c
    constants = {
        "period": plan.period,
        "state": ACTIVE,
        "paid": False,
        "source": source,
        "created_by": actor.account_id,
        "created_at": ctx.now,
        "batch_id": batch_id,
    }
    fixed = tuple(_db_value(c[k], constants[k], dialect) for k in CONSTANT_COLUMNS)
    step, insert = _pair_inserter(conn, fixed)
    # in teacher order: the (teacher, course) indexes then grow at their ends (SQLite ~30%
    # faster than course by course)
    pairs = sorted(plan.pairs)
    school_of = {tid: t.school_id for tid, t in plan.teachers.items()}
    try:
        # a rebuilt uq_enrollment_active refuses a pair inserted meanwhile, as inserts would
        with _insert_cache(conn, len(pairs)), indexes_built_after(conn, ENROLLMENT_T, len(pairs)):
            for i in range(0, len(pairs), step):
                chunk = pairs[i : i + step]
                teachers = list(map(PAIR_SHIFT.__rrshift__, chunk))
                courses = list(map(COURSE_MASK.__and__, chunk))
                insert(courses, teachers, list(map(school_of.__getitem__, teachers)))
    except IntegrityError as exc:
        raise Conflict(
            "有选课记录刚被其他操作写入（同一教师同一课程），本次未写入任何选课，请重试"
        ) from exc
    report.created += len(pairs)
    return len(pairs)


def _pair_inserter(conn: Any, fixed: tuple[object, ...]) -> tuple[int, Inserter]:
    """(rows per call, a function inserting enrollments given their course, teacher and
    school ids) on this connection; `fixed` are the CONSTANT_COLUMNS values of every row.

    SQLite: INSERT … SELECT FROM (VALUES (?,?,?), …) with thousands of rows per statement
    (one prepared statement, reused). PostgreSQL: INSERT … SELECT FROM unnest(arrays).
    """
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    head = f"INSERT INTO {quote(ENROLLMENT_T.name)} ({', '.join(map(quote, INSERT_COLUMNS))}) "
    if dialect.name == "postgresql":
        sql = head + (
            "SELECT %s, u.c, u.t, u.s, %s, %s, %s, %s, %s, %s "
            "FROM unnest(%s::int[], %s::int[], %s::int[]) AS u(c, t, s)"
        )

        def unnest(courses: list[int], teachers: list[int], schools: list[int]) -> None:
            if courses:
                conn.exec_driver_sql(sql, (*fixed, courses, teachers, schools))

        return INSERT_CHUNK, unnest
    mark = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
    per = max(1, min(SQLITE_INSERT_ROWS, (_sqlite_parameter_limit(conn) - len(fixed)) // 3))
    select_list = f"{mark}, column1, column2, column3, " + ", ".join([mark] * (len(fixed) - 1))
    triple = f"({mark}, {mark}, {mark})"
    statements: dict[int, str] = {}

    def values(courses: list[int], teachers: list[int], schools: list[int]) -> None:
        n = len(courses)
        if not n:
            return
        sql = statements.get(n)
        if sql is None:
            rows = ", ".join([triple] * n)
            sql = statements[n] = f"{head}SELECT {select_list} FROM (VALUES {rows})"
        conn.exec_driver_sql(
            sql, (*fixed, *chain.from_iterable(zip(courses, teachers, schools, strict=True)))
        )

    return per, values


def _sqlite_parameter_limit(conn: Any) -> int:
    """How many parameters one statement may bind (SQLITE_LIMIT_VARIABLE_NUMBER)."""
    driver = conn.connection.driver_connection
    getlimit = getattr(driver, "getlimit", None)
    if getlimit is None:  # a driver without it: SQLite's historical default
        return 999
    return int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


@contextmanager
def _insert_cache(conn: Any, rows: int) -> Iterator[None]:
    """SQLite: a larger page cache while a large batch is inserted, the previous size after."""
    if conn.dialect.name != "sqlite" or rows < LARGE_INSERT_ROWS:
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar())
    conn.exec_driver_sql(f"PRAGMA cache_size = {-LARGE_INSERT_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {before}")


def _audit_force(
    session: Session, ctx: ServiceContext, actor: Actor, p: Period, what: str, created: int
) -> None:
    audit.record(
        session,
        actor,
        ctx.now,
        "enroll.force",
        "period",
        p.code,
        after={"window": _window_text(p), "operation": what, "created": created},
    )


# ---------------------------------------------------------------------------------------------
# enroll add / import / me enroll


def _rows_by_course(
    course: str, learners: Sequence[tuple[int, str] | tuple[int, str, str | None]]
) -> list[EnrollRow]:
    out: list[EnrollRow] = []
    for row, raw, *name in learners:
        r = EnrollRow(row, {"course_code": course, "name": name[0] if name else None})
        try:
            r.values["learner_no"] = normalize_learner_no(raw)
        except InvalidValue as exc:
            r.issues.append(RowIssue(row, COL_LEARNER, str(raw), exc.message, exc.code))
        out.append(r)
    return out


def _rows_by_teacher(learner_no: str, courses: Sequence[tuple[int, str]]) -> list[EnrollRow]:
    out: list[EnrollRow] = []
    for row, raw in courses:
        r = EnrollRow(row, {"learner_no": learner_no})
        try:
            r.values["course_code"] = normalize_course_code(raw)
        except InvalidValue as exc:
            r.issues.append(RowIssue(row, COL_COURSE, str(raw), exc.message, exc.code))
        out.append(r)
    return out


def add_enrollments(
    ctx: ServiceContext,
    *,
    period: str,
    course: str | None = None,
    learners: Sequence[tuple[int, str] | tuple[int, str, str | None]] = (),
    teacher: str | None = None,
    courses: Sequence[tuple[int, str]] = (),
    force: bool = False,
    skip_invalid: bool = False,
    pre_issues: Sequence[RowIssue] = (),
) -> ImportReport:
    """集体选课: one course for many teachers (`course` + `learners`), or one teacher for
    many courses (`teacher` + `courses`); `learners` are (row number, 学号[, 姓名]) and
    `courses` (row number, 课程编号) — a given 姓名 must match the 学号's teacher.

    All or nothing unless `skip_invalid`; the report says what was created, skipped
    (already selected) and refused.
    Raises InputRejected (1, bad codes or options), NotFound (4, the course or teacher),
    PermissionDenied (3, a teacher outside the scope, --force by a non-city account),
    SelectionWindowClosed (5), CapacityExceeded / Conflict (5, lost a race).
    """
    actor = ctx.require(*ADMIN_ROLES, action="为教师选课")
    code = parse_period_code(period)
    if (course is None) == (teacher is None):
        raise InputRejected("请指定 --course（按课程选教师）或 --teacher（按教师选课程）之一")
    if course is not None:
        course_code = normalize_course_code(course)
        rows = _rows_by_course(course_code, learners)
        target_type, target = "course", course_code
        if not rows:
            raise InputRejected(
                "没有要选课的教师学号", hint="--teachers 学号,学号 或 --teachers 文件"
            )
    else:
        learner_no = normalize_learner_no(teacher)
        rows = _rows_by_teacher(learner_no, courses)
        target_type, target = "teacher", learner_no
        if not rows:
            raise InputRejected("没有要选的课程编号", hint="--courses 课程编号,课程编号")
    report = ImportReport(total=len(rows))
    report.issues.extend(pre_issues)
    for r in rows:
        report.issues.extend(r.issues)
    with ctx.transaction() as session:
        p, forced = _open_period(session, ctx, actor, code, force=force)
        if course is not None:
            _require_course(session, p.code, target)
        else:
            _require_teacher(session, target)
        plan = _plan(session, actor, p.code, rows, report, mode="admin", skip_invalid=skip_invalid)
        if report.issues and not skip_invalid:
            session.rollback()
            return report
        labels = _pair_labels(plan)
        created = _apply(session, ctx, actor, plan, report, source="force" if forced else "admin")
        report.skipped = plan.existing + len(report.rejected_rows)
        if not created:
            session.rollback()
            return report
        audit.record(
            session,
            actor,
            ctx.now,
            "enroll.add",
            target_type,
            target,
            after={
                "period": p.code,
                "created": created,
                "skipped": report.skipped,
                "rejected": len(report.rejected_rows),
                "enrollments": labels,
            },
        )
        if forced:
            _audit_force(session, ctx, actor, p, "enroll add", created)
    return report


def _pair_labels(plan: _Plan) -> list[str]:
    """'学号:课程编号' of the planned enrollments, course by course in request order (for the
    audit row of a small batch)."""
    return [
        f"{plan.teachers[pair >> PAIR_SHIFT].learner_no}:{plan.courses[pair & COURSE_MASK].code}"
        for pair in sorted(plan.pairs, key=COURSE_MASK.__and__)
    ]


def _require_course(session: Session, period: str, code: str) -> None:
    found = session.execute(
        select(col(Course.id)).where(col(Course.period) == period, col(Course.code) == code)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(
            f"课程不存在：{period} 期 {code}",
            hint=f"jjadmin course list --period {period} 查看本期课程",
        )


def _require_teacher(session: Session, learner_no: str) -> None:
    found = session.execute(
        select(col(Teacher.id)).where(col(Teacher.learner_no) == learner_no)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"学号不存在：{learner_no}")


def _import_unit(actor: Actor) -> str:
    if actor.role == "district":
        return f"district:{actor.district_code}"
    if actor.acting_school_id is not None and actor.role != "city":
        return f"school:{actor.school_code}"
    return "city"


def import_enrollments(
    ctx: ServiceContext,
    *,
    period: str,
    rows: Sequence[RowLike],
    pre_issues: Sequence[RowIssue],
    file: FileMeta,
    options: ImportOptions,
    force: bool = False,
    notes: Sequence[str] = (),
    present: frozenset[str] = frozenset(),
) -> ImportReport:
    """选课导入 (学号, 课程编号, 姓名): every row judged, then all or nothing (SPEC §5).

    Raises InvalidValue (1, malformed period), NotFound (4, no such period),
    PermissionDenied (3), SelectionWindowClosed (5), Conflict (5, another import of the
    unit running, or a race lost).
    """
    actor = ctx.require(*ADMIN_ROLES, action="导入选课")
    code = parse_period_code(period)
    state: dict[str, Any] = {}

    def validate(
        session: Session, actor: Actor, rows: Sequence[RowLike], report: ImportReport
    ) -> None:
        p, forced = _open_period(session, ctx, actor, code, force=force)
        state["forced"], state["period"] = forced, p
        state["plan"] = _plan(
            session, actor, p.code, rows, report, mode="import", skip_invalid=options.skip_invalid
        )

    def apply(
        session: Session,
        actor: Actor,
        rows: Sequence[RowLike],
        report: ImportReport,
        writer: BatchWriter,
    ) -> None:
        plan: _Plan = state["plan"]
        created = _apply(
            session,
            ctx,
            actor,
            plan,
            report,
            source="force" if state["forced"] else "import",
            batch_id=writer.batch_id,
        )
        report.skipped += plan.existing
        if state["forced"] and created:
            _audit_force(session, ctx, actor, state["period"], "enroll import", created)

    return run_import(
        ctx,
        kind="enroll",
        unit=_import_unit(actor),
        file=file,
        rows=rows,
        pre_issues=pre_issues,
        options=options,
        validate=validate,
        apply=apply,
        actor=actor,
        notes=notes,
    )


def _self_actor(ctx: ServiceContext, action: str) -> Actor:
    actor = ctx.require("teacher", action=action)
    if actor.teacher_id is None:
        raise PermissionDenied(f"当前账号不是学员账号，不能{action}")
    return actor


def _own_learner_no(session: Session, actor: Actor) -> str:
    return str(
        session.execute(
            select(col(Teacher.learner_no)).where(col(Teacher.id) == actor.teacher_id)
        ).scalar_one()
    )


def _self_period(session: Session, ctx: ServiceContext, period: str | None) -> str:
    if period:
        return parse_period_code(period)
    code = current_period_code(session, ctx.now)
    if code is None:
        raise NotFound("当前没有可选课的期数", hint="用 --period 指定期数")
    return code


def enroll_self(
    ctx: ServiceContext, *, course_codes: Sequence[str], period: str | None = None
) -> ImportReport:
    """自主选课 (me enroll): the logged-in teacher selects courses, 提升工程 included,
    inside the selection window only. All or nothing.

    Raises InputRejected (1), NotFound (4), PermissionDenied (3, not a teacher account),
    SelectionWindowClosed (5), CapacityExceeded / Conflict (5).
    """
    actor = _self_actor(ctx, "自主选课")
    if not course_codes:
        raise InputRejected("请指定要选的课程编号", hint="jjadmin me courses 查看可选课程")
    with ctx.transaction() as session:
        code = _self_period(session, ctx, period)
        p, _ = _open_period(session, ctx, actor, code, force=False)
        learner_no = _own_learner_no(session, actor)
        rows = _rows_by_teacher(learner_no, list(enumerate(course_codes, start=1)))
        report = ImportReport(total=len(rows))
        for r in rows:
            report.issues.extend(r.issues)
        plan = _plan(session, actor, p.code, rows, report, mode="self", skip_invalid=False)
        if report.issues:
            session.rollback()
            return report
        chosen = [plan.courses[cid].code for cid in sorted(plan.seats())]
        created = _apply(session, ctx, actor, plan, report, source="self")
        report.skipped = plan.existing
        if created:
            audit.record(
                session,
                actor,
                ctx.now,
                "enroll.self",
                "teacher",
                learner_no,
                after={"period": p.code, "courses": chosen},
            )
    return report


# ---------------------------------------------------------------------------------------------
# drop


@dataclass(frozen=True)
class DropResult:
    period: str
    learner_no: str
    name: str
    course_code: str
    course_name: str
    state: str
    dropped_at: datetime


def _find_enrollment(
    session: Session, period: str, learner_no: str, course_code: str
) -> tuple[Enrollment, Course, Teacher, str]:
    """The active enrollment (locked) with its course, teacher and the teacher's district.

    Raises NotFound (4), Conflict (5, already dropped or voided).
    """
    row = session.execute(
        select(Teacher, col(School.district_code))
        .join(School, col(School.id) == col(Teacher.school_id))
        .where(col(Teacher.learner_no) == learner_no)
    ).one_or_none()
    if row is None:
        raise NotFound(f"学号不存在：{learner_no}")
    teacher, district = row
    # the course first, then the enrollment: the lock order of enrolling (no deadlock)
    course = session.execute(
        select(Course)
        .where(col(Course.period) == period, col(Course.code) == course_code)
        .with_for_update()
    ).scalar_one_or_none()
    if course is None:
        raise NotFound(f"课程不存在：{period} 期 {course_code}")
    enrollment = session.execute(
        select(Enrollment)
        .where(
            col(Enrollment.teacher_id) == teacher.id,
            col(Enrollment.course_id) == course.id,
            col(Enrollment.state) == ACTIVE,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if enrollment is None:
        past = session.execute(
            select(func.count()).where(
                col(Enrollment.teacher_id) == teacher.id, col(Enrollment.course_id) == course.id
            )
        ).scalar_one()
        if past:
            raise Conflict(f"学号 {learner_no} 在 {period} 期课程 {course_code} 的选课已删除")
        raise NotFound(f"学号 {learner_no} 没有选 {period} 期课程 {course_code}")
    return enrollment, course, teacher, str(district)


def _may_drop(ctx: ServiceContext, actor: Actor, p: Period, course: Course, t: _Teacher) -> None:
    """Inside the window: the teacher, a school or district in scope, the city, the course's
    institution; afterwards only the course's institution or the city.

    Raises PermissionDenied (3), SelectionWindowClosed (5).
    """
    own_course = actor.role == "institution" and actor.institution == course.charging_unit
    if actor.role == "city" or own_course:
        return
    if actor.role == "institution":
        raise PermissionDenied(
            "培训机构只能删除本机构（收费单位）课程的选课", hint="请联系该课程的收费单位"
        )
    if not _teacher_in_scope(actor, t):
        raise PermissionDenied(OUT_OF_SCOPE, hint=_scope_hint(actor))
    if not in_selection_window(p, ctx.now):
        raise SelectionWindowClosed(
            f"不在选课时间内（{_window_text(p)}），不能再删除选课",
            hint=f"选课时间外只能由该课程的培训机构（收费单位：{course.charging_unit}）"
            "或市级培训中心删除",
        )


def _drop(
    ctx: ServiceContext, actor: Actor, *, period: str, learner_no: str, course_code: str
) -> DropResult:
    with ctx.transaction() as session:
        p = get_period(session, period)
        enrollment, course, teacher, district = _find_enrollment(
            session, p.code, learner_no, course_code
        )
        t = _Teacher(
            teacher.id or 0, teacher.learner_no, teacher.name, teacher.school_id, "", district
        )
        _may_drop(ctx, actor, p, course, t)
        if enrollment.paid:
            raise Conflict(f"学号 {learner_no} 的课程 {course_code} 已缴费，不能删除选课")
        enrollment.state = DROPPED
        enrollment.dropped_by = actor.account_id
        enrollment.dropped_at = ctx.now
        session.flush()
        course_t = COURSE_T.c
        session.execute(
            update(COURSE_T)
            .where(course_t.id == course.id, course_t.enrolled > 0)
            .values(enrolled=course_t.enrolled - 1)
        )
        audit.record(
            session,
            actor,
            ctx.now,
            "enroll.drop",
            "enrollment",
            f"{p.code}:{learner_no}:{course_code}",
            before={"state": ACTIVE},
            after={"state": DROPPED, "window_open": in_selection_window(p, ctx.now)},
        )
        return DropResult(
            p.code, learner_no, teacher.name, course.code, course.name, DROPPED, ctx.now
        )


def drop_enrollment(
    ctx: ServiceContext, *, period: str, learner_no: str, course_code: str
) -> DropResult:
    """删除选课 by an administrator; the seat is released.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3), SelectionWindowClosed (5,
    a school/district after the window), Conflict (5, paid or already dropped).
    """
    actor = ctx.require("city", "district", "school", "institution", action="删除选课")
    return _drop(
        ctx,
        actor,
        period=parse_period_code(period),
        learner_no=normalize_learner_no(learner_no),
        course_code=normalize_course_code(course_code),
    )


def drop_own_enrollment(
    ctx: ServiceContext, *, course_code: str, period: str | None = None
) -> DropResult:
    """取消选课 (me drop): the teacher, inside the selection window only.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3), SelectionWindowClosed (5),
    Conflict (5, paid).
    """
    actor = _self_actor(ctx, "取消选课")
    code = normalize_course_code(course_code)
    with ctx.reading() as session:
        p = _self_period(session, ctx, period)
        learner_no = _own_learner_no(session, actor)
    teacher_only = Actor(
        actor.account_id,
        actor.username,
        "teacher",
        actor.name,
        school_id=actor.school_id,
        teacher_id=actor.teacher_id,
    )
    return _drop(ctx, teacher_only, period=p, learner_no=learner_no, course_code=code)


# ---------------------------------------------------------------------------------------------
# 选课查询


@dataclass(frozen=True)
class EnrollmentFilter:
    school: str | None = None
    course: str | None = None
    teacher: str | None = None
    state: str | None = None
    paid: bool | None = None


@dataclass(frozen=True)
class EnrollmentView:
    period: str
    learner_no: str
    name: str
    school_code: str
    school_name: str
    district_code: str
    subject: str
    course_code: str
    course_name: str
    training_level: str
    attribute: str | None
    hour_type: str
    hours: str
    fee: str
    material_fee: str
    amount: str
    charging_unit: str
    state: str
    paid: bool
    source: str
    created_at: datetime
    dropped_at: datetime | None


def _enrollment_scope(actor: Actor) -> ColumnElement[bool]:
    if actor.role == "institution":
        return col(Course.charging_unit) == (actor.institution or "")
    if actor.role == "teacher" and actor.principal_school_id is None:
        return col(Enrollment.teacher_id) == (actor.teacher_id or -1)
    return school_clause(actor)


def _check_filter(f: EnrollmentFilter) -> EnrollmentFilter:
    states = [s.value for s in EnrollmentState]
    state = f.state.strip() if f.state else None
    if state is not None and state not in states:
        raise InvalidValue(f"选课状态“{state}”无效，应为 {'、'.join(states)}")
    return EnrollmentFilter(
        school=f.school.strip() if f.school else None,
        course=normalize_course_code(f.course) if f.course else None,
        teacher=normalize_learner_no(f.teacher) if f.teacher else None,
        state=state,
        paid=f.paid,
    )


def _list_stmt(actor: Actor, period: str, f: EnrollmentFilter) -> Any:
    stmt = (
        select(
            col(Enrollment.period),
            col(Teacher.learner_no),
            col(Teacher.name),
            col(School.code),
            col(School.name),
            col(School.district_code),
            col(Teacher.subject),
            col(Course.code),
            col(Course.name),
            col(Course.level),
            col(Course.attribute),
            col(Course.hour_type),
            col(Course.hours),
            col(Course.fee),
            col(Course.material_fee),
            col(Course.charging_unit),
            col(Enrollment.state),
            col(Enrollment.paid),
            col(Enrollment.source),
            col(Enrollment.created_at),
            col(Enrollment.dropped_at),
        )
        .select_from(Enrollment)
        .join(Teacher, col(Teacher.id) == col(Enrollment.teacher_id))
        .join(School, col(School.id) == col(Enrollment.school_id))
        .join(Course, col(Course.id) == col(Enrollment.course_id))
        .where(col(Enrollment.period) == period, _enrollment_scope(actor))
    )
    if f.school:
        stmt = stmt.where(col(School.code) == f.school)
    if f.course:
        stmt = stmt.where(col(Course.code) == f.course)
    if f.teacher:
        stmt = stmt.where(col(Teacher.learner_no) == f.teacher)
    if f.state:
        stmt = stmt.where(col(Enrollment.state) == f.state)
    if f.paid is not None:
        stmt = stmt.where(col(Enrollment.paid) == f.paid)
    return stmt


def _view(r: Any) -> EnrollmentView:
    fee, material = int(r[13]), int(r[14])
    return EnrollmentView(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        r[10],
        r[11],
        format_hours(Decimal(r[12])),
        format_money(fee),
        format_money(material),
        format_money(fee + material),
        r[15],
        r[16],
        bool(r[17]),
        r[18],
        r[19],
        r[20],
    )


def list_enrollments(
    ctx: ServiceContext,
    *,
    period: str,
    filters: EnrollmentFilter | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[EnrollmentView], int]:
    """选课查询: enrollments of a period in the actor's scope (school, district, the
    institution's courses, a teacher's own), by school, learner number and course.

    Raises InvalidValue (1), NotFound (4, no such period).
    """
    actor = ctx.require(*READ_ROLES, action="查看选课")
    f = _check_filter(filters or EnrollmentFilter())
    with ctx.reading() as session:
        p = get_period(session, period)
        stmt = _list_stmt(actor, p.code, f)
        total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        page = session.execute(
            stmt.order_by(col(School.code), col(Teacher.learner_no), col(Course.code))
            .limit(limit)
            .offset(offset)
        ).all()
        return [_view(r) for r in page], int(total)


def export_enrollments(
    ctx: ServiceContext, *, period: str, filters: EnrollmentFilter | None = None
) -> Iterator[EnrollmentView]:
    """Every matching enrollment, streamed (for `enroll list --out`); needs SMS verification.

    Raises VerificationRequired (3), InvalidValue (1), NotFound (4).
    """
    actor = ctx.require(*READ_ROLES, action="导出选课")
    require_verified(ctx, "导出选课数据")
    f = _check_filter(filters or EnrollmentFilter())
    with ctx.reading() as session:
        code = get_period(session, period).code

    def rows() -> Iterator[EnrollmentView]:
        with ctx.reading() as session:
            stmt = _list_stmt(actor, code, f).order_by(
                col(School.code), col(Teacher.learner_no), col(Course.code)
            )
            for r in session.execute(stmt.execution_options(yield_per=2000)):
                yield _view(r)

    return rows()
