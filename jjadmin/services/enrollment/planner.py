"""The planner: every requested (teacher, course) pair judged against the rules, set-based,
into a plan; row issues are collected instead of stopping."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress, islice
from operator import eq
from typing import Any, NamedTuple, Protocol, runtime_checkable

from sqlalchemy.orm import Session

from jjadmin.errors import InvalidValue, PermissionDenied
from jjadmin.rules.codes import normalize_course_code, normalize_learner_no
from jjadmin.rules.courses import APPROVED, OPEN_LEVELS, course_visible_to_teacher
from jjadmin.rules.enums import TeacherStatus, TrainingLevel
from jjadmin.services.context import Actor
from jjadmin.services.enrollment.common import (
    ABILITY,
    ABILITY_ONLY_SELF,
    COL_COURSE,
    COL_LEARNER,
    COL_NAME,
    COURSE_MASK,
    ONLINE,
    PAIR_SHIFT,
    EnrollRow,
    Mode,
    _scope_hint,
    _Teacher,
    _teacher_in_scope,
)
from jjadmin.services.enrollment.lookups import (
    _CourseInfo,
    _existing_pairs,
    _load_courses,
    _load_teachers,
    _special_teachers,
)
from jjadmin.services.results import ImportReport, RowIssue, RowLike
from jjadmin.services.scope import OUT_OF_SCOPE

_SPACES = re.compile(r"\s+")


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


def _issue(row: int, column: str, value: object, message: str, code: str) -> RowIssue:
    return RowIssue(row, column, None if value is None else str(value), message, code, "state")


def _same_name(given: object, actual: str) -> bool:
    return _SPACES.sub("", str(given)) == _SPACES.sub("", actual)


def _course_problem(course: _CourseInfo, t: _Teacher, mode: Mode) -> tuple[str, str] | None:
    """(message, code) when `t` may not select `course`; None when it may."""
    if course.status != ONLINE:
        return f"课程 {course.code} 未上线（状态：{course.status}），不能选课", "course-offline"
    if course.level == ABILITY and mode != "ability":
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
