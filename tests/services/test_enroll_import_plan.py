"""选课导入 planning at scale: the column-by-column planner judges a mixed batch exactly as the
rules say, whether the rows come as objects or as columns (a large sheet's reader), and
whatever paths the batch size selects (table scans, multi-row inserts, the larger page cache).
On SQLite and PostgreSQL (the `engine` fixture)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from jjadmin import db
from jjadmin.errors import Conflict
from jjadmin.models import Course, Enrollment, SpecialUser, Teacher
from jjadmin.services import enrollment
from jjadmin.services.context import Actor
from jjadmin.services.enrollment import EnrollRow, PairColumns, common, lookups, planner, writer
from jjadmin.services.imports import ImportOptions
from jjadmin.services.results import FileMeta, ImportReport, RowIssue
from tests.factories import NOW, make_account, make_school, make_teacher
from tests.helpers_courses import make_course, make_period

FILE = FileMeta("选课.xlsx", "0" * 64)


@dataclass
class Town:
    district: Actor  # district 440104
    teachers: list[Teacher]  # school A (440104), in post
    retired: Teacher  # school A
    special: Teacher  # school A, a special user
    neighbour: Teacher  # school B (440104)
    far: Teacher  # school C (440105)


@pytest.fixture
def town(session: Session) -> Town:
    a = make_school(session, "4401040001", "440104")
    b = make_school(session, "4401040002", "440104")
    c = make_school(session, "4401050001", "440105")
    teachers = [make_teacher(session, a) for _ in range(5)]
    retired = make_teacher(session, a, status="退休")
    special = make_teacher(session, a)
    neighbour = make_teacher(session, b)
    far = make_teacher(session, c)
    period = make_period(session)
    make_course(session, period, "C001", capacity=3)
    make_course(session, period, "C002")
    make_course(session, period, "D104", level="区级培训", district="440104")
    make_course(session, period, "D105", level="区级培训", district="440105")
    make_course(session, period, "S-A", level="校本培训", school=a)
    make_course(session, period, "S-PEND", level="校本培训", school=a, approval="pending")
    make_course(session, period, "AB01", level="提升工程", ability_category="通识必修")
    make_course(session, period, "OFF", status="下线")
    session.flush()
    session.add(SpecialUser(teacher_id=special.id or 0, period="2601", flagged_at=NOW))
    town = Town(
        district=make_account(session, "district", district="440104"),
        teachers=teachers,
        retired=retired,
        special=special,
        neighbour=neighbour,
        far=far,
    )
    session.commit()
    return town


def requests(town: Town) -> list[tuple[str, str, str | None]]:
    """(学号, 课程编号, 姓名) of rows 2… : every rule once, and pairs that are fine."""
    t = town.teachers
    return [
        (t[0].learner_no, "C001", t[0].name),  # 2 ok
        (t[0].learner_no, "C001", None),  # 3 repeats row 2
        (t[1].learner_no, "C001", f" {t[1].name} "),  # 4 ok (spaces aside)
        (t[1].learner_no, "C002", t[2].name),  # 5 shifted row
        (town.retired.learner_no, "C002", None),  # 6 not in post
        (town.special.learner_no, "C002", None),  # 7 special user
        ("44012699999999", "C002", None),  # 8 unknown teacher
        (t[2].learner_no, "ZZZ", None),  # 9 unknown course
        (t[2].learner_no, "D104", None),  # 10 ok: own district
        (t[2].learner_no, "D105", None),  # 11 another district's course
        (t[2].learner_no, "S-A", None),  # 12 ok: own school
        (t[2].learner_no, "S-PEND", None),  # 13 not approved
        (t[2].learner_no, "AB01", None),  # 14 never collectively
        (t[2].learner_no, "OFF", None),  # 15 offline
        (town.neighbour.learner_no, "C002", None),  # 16 ok: a school of the district
        (town.far.learner_no, "C002", None),  # 17 out of scope
        (t[3].learner_no, "C002", None),  # 18 enrolled already: skipped
        (t[3].learner_no, "C001", None),  # 19 third seat of C001
        (t[4].learner_no, "C001", None),  # 20 no fourth seat
        (t[4].learner_no, "D104", t[4].name),  # 21 ok
    ]


EXPECTED_ISSUES = [
    (3, "duplicate-in-file"),
    (5, "name-mismatch"),
    (6, "teacher-not-active"),
    (7, "special-user"),
    (8, "teacher-unknown"),
    (9, "course-unknown"),
    (11, "course-not-open"),
    (13, "course-not-approved"),
    (14, "ability-self-only"),
    (15, "course-offline"),
    (17, "out-of-scope"),
    (20, "capacity"),
]


class Columns(Sequence[EnrollRow]):
    """Rows handed over column by column, as the large-sheet reader does."""

    def __init__(self, rows: list[EnrollRow]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: Any) -> Any:
        return self.rows[i]

    def pair_columns(self) -> PairColumns:
        clean = [r for r in self.rows if not r.issues]
        return PairColumns(
            [r.row for r in clean],
            [r.values["learner_no"] for r in clean],
            [r.values["course_code"] for r in clean],
            [r.values.get("name") for r in clean],
        )

    def row_issues(self) -> list[RowIssue]:
        return [i for r in self.rows for i in r.issues]

    def without_rows(self, rows: set[int]) -> Sequence[EnrollRow]:
        return [r for r in self.rows if r.row not in rows]


def as_rows(values: list[tuple[str, str, str | None]]) -> list[EnrollRow]:
    return [
        EnrollRow(i, {"learner_no": ln, "course_code": code, "name": name})
        for i, (ln, code, name) in enumerate(values, start=2)
    ]


@pytest.fixture(params=["small", "large"])
def batch_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """ "large": the paths a 500,000-row batch takes, forced on a small one."""
    if request.param == "large":
        monkeypatch.setattr(lookups, "SCAN_TEACHERS_ABOVE", 0)
        monkeypatch.setattr(lookups, "SCAN_ENROLLMENTS_ABOVE", 0)
        monkeypatch.setattr(writer, "LARGE_INSERT_ROWS", 1)
        monkeypatch.setattr(writer, "SQLITE_INSERT_ROWS", 2)
        monkeypatch.setattr(writer, "INSERT_CHUNK", 2)
        monkeypatch.setattr(db, "REINDEX_AT", 1)  # SQLite: indexes built after the load
    return str(request.param)


def state(session: Session) -> tuple[list[tuple[str, str, int]], dict[str, int]]:
    """(学号, 课程编号, school id) of every active enrollment, and seats taken per course."""
    pairs = session.execute(
        select(Teacher.learner_no, Course.code, Enrollment.school_id)
        .join(Teacher, Teacher.id == Enrollment.teacher_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.state == "active")
    ).all()
    seats = {str(c): int(n) for c, n in session.execute(select(Course.code, Course.enrolled))}
    active = {
        str(c): int(n)
        for c, n in session.execute(
            select(Course.code, func.count())
            .join(Enrollment, Enrollment.course_id == Course.id)
            .where(Enrollment.state == "active")
            .group_by(Course.code)
        )
    }
    session.commit()
    assert all(seats[code] == active.get(code, 0) for code in seats)
    return sorted((str(a), str(b), int(c)) for a, b, c in pairs), seats


def codes(report: ImportReport) -> list[tuple[int, str]]:
    return [(i.row, i.code) for i in report.sorted_issues()]


@pytest.mark.parametrize("shape", ["objects", "columns"])
def test_a_mixed_import_is_judged_row_by_row_rule_by_rule(
    town: Town, session: Session, make_ctx: Any, batch_size: str, shape: str
) -> None:
    enrollment.add_enrollments(
        make_ctx(town.district),
        period="2601",
        teacher=town.teachers[3].learner_no,
        courses=[(1, "C002")],
    )
    rows = as_rows(requests(town))
    data: Sequence[EnrollRow] = rows if shape == "objects" else Columns(rows)

    def run(**opts: Any) -> ImportReport:
        return enrollment.import_enrollments(
            make_ctx(town.district),
            period="2601",
            rows=data,
            pre_issues=[],
            file=FILE,
            options=ImportOptions(**opts),
        )

    before = state(session)
    refused = run()
    # all or nothing: every C001 row is refused (4 asked, 3 seats), nothing written
    capacity = [(2, "capacity"), (4, "capacity"), (19, "capacity"), (20, "capacity")]
    assert codes(refused) == sorted([i for i in EXPECTED_ISSUES if i[1] != "capacity"] + capacity)
    assert refused.created == 0 and state(session) == before

    partial = run(skip_invalid=True)
    assert codes(partial) == EXPECTED_ISSUES
    messages = {i.row: i.message for i in partial.issues}
    assert messages[3] == "与第 2 行重复（同一教师同一课程）"
    assert messages[20] == "课程 C001 剩余名额 3，本次需 4"
    assert (partial.total, partial.created) == (20, 7)
    assert partial.skipped == 1  # the one enrolled already; the 12 refused rows are errors
    t = town.teachers
    pairs, seats = state(session)
    school_a, school_b = t[0].school_id, town.neighbour.school_id
    assert pairs == sorted(
        [
            (t[0].learner_no, "C001", school_a),
            (t[1].learner_no, "C001", school_a),
            (t[2].learner_no, "D104", school_a),
            (t[2].learner_no, "S-A", school_a),
            (town.neighbour.learner_no, "C002", school_b),
            (t[3].learner_no, "C002", school_a),
            (t[3].learner_no, "C001", school_a),
            (t[4].learner_no, "D104", school_a),
        ]
    )
    assert seats["C001"] == 3 and seats["C002"] == 2 and seats["D104"] == 2

    again = run(skip_invalid=True)
    assert again.created == 0 and again.batch_id is None
    assert state(session)[0] == pairs


def test_a_batch_without_problems_writes_every_pair_in_one_go(
    town: Town, session: Session, make_ctx: Any, batch_size: str
) -> None:
    courses = ["C002", "D104", "S-A", "C001"]
    values = [(t.learner_no, c, None) for c in courses for t in town.teachers[:3]]
    report = enrollment.import_enrollments(
        make_ctx(town.district),
        period="2601",
        rows=Columns(as_rows(values)),
        pre_issues=[],
        file=FILE,
        options=ImportOptions(),
    )
    assert report.ok and report.created == 12 and report.skipped == 0
    pairs, seats = state(session)
    assert len(pairs) == 12 and {s for _, _, s in pairs} == {town.teachers[0].school_id}
    assert [seats[c] for c in courses] == [3, 3, 3, 3]
    # the rows were written with the batch's constants
    got = session.execute(
        select(
            Enrollment.period, Enrollment.source, Enrollment.paid, Enrollment.batch_id
        ).distinct()
    ).all()
    session.commit()
    assert [tuple(r) for r in got] == [("2601", "import", False, report.batch_id)]


def test_a_format_issue_keeps_its_row_out_of_the_plan(
    town: Town, session: Session, make_ctx: Any
) -> None:
    rows = as_rows([(t.learner_no, "C002", None) for t in town.teachers[:3]])
    bad = RowIssue(3, "学号", "x", "学号格式不正确", "learner-no-format")
    rows[1].issues.append(bad)
    rows[1].values["learner_no"] = None
    report = enrollment.import_enrollments(
        make_ctx(town.district),
        period="2601",
        rows=Columns(rows),
        pre_issues=[],
        file=FILE,
        options=ImportOptions(skip_invalid=True),
    )
    assert report.issues == [bad] and report.created == 2 and report.skipped == 0
    assert state(session)[1]["C002"] == 2


def test_a_pair_inserted_meanwhile_refuses_the_whole_batch(
    town: Town, session: Session, make_ctx: Any, batch_size: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another run enrolled a teacher after this one looked: the unique index (inserted into,
    or rebuilt after a large load on SQLite) refuses the batch, and nothing is written."""
    teacher = town.teachers[0]
    enrollment.add_enrollments(
        make_ctx(town.district), period="2601", teacher=teacher.learner_no, courses=[(1, "C002")]
    )
    before = state(session)
    indexes = {str(ix.name) for ix in common.ENROLLMENT_T.indexes}
    # the planner does not see the enrollment made meanwhile
    monkeypatch.setattr(planner, "_existing_pairs", lambda *args, **kwargs: set())
    values = [(t.learner_no, "C002", None) for t in town.teachers]
    with pytest.raises(Conflict, match="刚被其他操作写入"):
        enrollment.import_enrollments(
            make_ctx(town.district),
            period="2601",
            rows=Columns(as_rows(values)),
            pre_issues=[],
            file=FILE,
            options=ImportOptions(),
        )
    session.rollback()
    assert state(session) == before
    found = inspect(session.get_bind()).get_indexes("enrollment")
    assert indexes <= {str(ix["name"]) for ix in found}  # dropped ones came back with the rollback
