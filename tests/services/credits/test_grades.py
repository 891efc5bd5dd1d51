"""成绩导入: who grades what, the enrollment rule, re-grades and the ledger, undo."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, PermissionDenied, UsageError
from jjadmin.models import Grade, ImportBatch
from jjadmin.services import imports
from jjadmin.services.credits import grade_queries
from tests.conftest import CtxFactory
from tests.helpers_grades import (
    World,
    build_world,
    count_rows,
    grade_sheet,
    import_grades,
    ledger,
)


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def _issues(report: Any) -> list[tuple[int, str | None, str]]:
    return [(i.row, i.column, i.message) for i in report.sorted_issues()]


def test_a_pass_credits_the_course_and_a_fail_does_not(
    world: World, session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    path = grade_sheet(
        tmp_path,
        [
            [world.t1.learner_no, "C1", 85, "良好表现"],
            [world.t2.learner_no, "C1", "不合格", None],
            [world.t3.learner_no, "C1", "合格", None],
        ],
    )
    report = import_grades(make_ctx, world.city, path)
    assert report.ok and (report.created, report.updated) == (3, 0)
    assert report.extra == {"passed": 2, "not_passed": 1}
    assert ledger(session) == [
        (world.t1.learner_no, "C1", 2026, "24", "专业科目"),
        (world.t3.learner_no, "C1", 2026, "24", "专业科目"),
    ]
    # the same sheet again changes nothing and records no batch
    again = import_grades(make_ctx, world.city, path)
    assert (again.created, again.updated, again.skipped, again.batch_id) == (0, 0, 3, None)
    assert count_rows(session, ImportBatch) == 1


def test_a_regrade_replaces_and_a_fail_after_a_pass_withdraws(
    world: World, session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    ln = world.t1.learner_no
    import_grades(make_ctx, world.city, grade_sheet(tmp_path, [[ln, "C1", 70, None]], "a.xlsx"))
    second = import_grades(
        make_ctx, world.city, grade_sheet(tmp_path, [[ln, "C1", 95.5, None]], "b.xlsx")
    )
    assert (second.created, second.updated) == (0, 1)
    assert ledger(session) == [(ln, "C1", 2026, "24", "专业科目")]
    import_grades(make_ctx, world.city, grade_sheet(tmp_path, [[ln, "C1", 59.5, None]], "c.xlsx"))
    assert ledger(session) == []
    session.expire_all()
    grade = session.execute(select(Grade)).scalar_one()
    assert (str(grade.score), grade.passed, grade.version) == ("59.5", False, 3)
    session.rollback()


def test_bad_cells_unknown_teachers_and_missing_enrollments_are_row_errors(
    world: World, session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    path = grade_sheet(
        tmp_path,
        [
            [world.t1.learner_no, "C1", 101, None],
            [world.t1.learner_no, "C1", "良好", None],
            [world.t3.learner_no, "D1", 80, None],  # not enrolled in D1
            ["44012699999999", "C1", 80, None],
            [world.t2.learner_no, "X9", 80, None],
            [world.t2.learner_no, "C1", 80, None],
            [world.t2.learner_no, "C1", 90, None],  # the same pair again
        ],
    )
    report = import_grades(make_ctx, world.city, path)
    issues = _issues(report)
    assert [(r, c) for r, c, _ in issues] == [
        (2, "成绩"),
        (3, "成绩"),
        (4, "课程编号"),
        (5, "学号"),
        (6, "课程编号"),
        (8, "学号"),
    ]
    assert "0–100" in issues[0][2] and "有效选课记录" in issues[2][2]
    assert "学号不存在" in issues[3][2] and "课程不存在" in issues[4][2]
    assert "第 7 行重复" in issues[5][2]
    assert report.batch_id is None and ledger(session) == []  # all or nothing
    assert count_rows(session, Grade) == 0
    skipped = import_grades(make_ctx, world.city, path, skip_invalid=True)
    assert skipped.created == 1 and not skipped.ok
    assert ledger(session) == [(world.t2.learner_no, "C1", 2026, "24", "专业科目")]


def test_a_dry_run_judges_and_writes_nothing(
    world: World, session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    path = grade_sheet(tmp_path, [[world.t1.learner_no, "C1", 90, None]])
    report = import_grades(make_ctx, world.city, path, dry_run=True)
    assert report.ok and report.created == 1 and report.batch_id is None
    assert ledger(session) == []


def test_who_grades_what(
    world: World, session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    ln = world.t1.learner_no
    city_row = grade_sheet(tmp_path, [[ln, "C1", 90, None]], "c.xlsx")
    district_row = grade_sheet(tmp_path, [[ln, "D1", 90, None]], "d.xlsx")
    school_row = grade_sheet(tmp_path, [[ln, "S1", "合格", None]], "s.xlsx")
    with pytest.raises(PermissionDenied, match="全员培训"):
        import_grades(make_ctx, world.school, city_row)  # a school grading a city course
    with pytest.raises(PermissionDenied):
        import_grades(make_ctx, world.district, city_row)
    with pytest.raises(PermissionDenied, match="不是本单位"):
        import_grades(make_ctx, world.other_district, district_row)
    with pytest.raises(PermissionDenied):
        import_grades(make_ctx, world.institution, district_row)  # not its course
    assert import_grades(make_ctx, world.institution, city_row).created == 1
    assert import_grades(make_ctx, world.district, district_row).created == 1
    assert import_grades(make_ctx, world.school, school_row).created == 1
    assert [r[1] for r in ledger(session)] == ["C1", "D1", "S1"]


def test_a_school_grades_its_school_based_courses_only_inside_their_year(
    world: World, session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    path = grade_sheet(tmp_path, [[world.t1.learner_no, "S1", 90, None]])
    next_year = datetime.fromisoformat("2027-01-05T10:00:00+08:00")
    with pytest.raises(PermissionDenied, match="本年度"):
        import_grades(lambda a: make_ctx(a, now=next_year), world.school, path)
    # the district (and the city) still may
    assert import_grades(lambda a: make_ctx(a, now=next_year), world.city, path).created == 1


def test_a_period_comes_from_the_option_or_a_column(
    world: World, session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    no_period = grade_sheet(tmp_path, [[world.t1.learner_no, "C1", 90, None]])
    with pytest.raises(UsageError):
        import_grades(make_ctx, world.city, no_period, period=None)
    with_column = grade_sheet(
        tmp_path,
        [
            [world.t1.learner_no, "C1", 90, None, "2601"],
            [world.t2.learner_no, "C1", 90, None, "2602"],
        ],
        "p.xlsx",
        headers=["学号", "课程编号", "成绩", "备注", "期数"],
    )
    report = import_grades(make_ctx, world.city, with_column, period=None)
    assert _issues(report) == [(3, "课程编号", "课程不存在：2602 期 C1")]
    report = import_grades(make_ctx, world.city, with_column, period="2601")
    assert [(r, c) for r, c, _ in _issues(report)] == [(3, "期数")]


def test_undoing_a_regrade_brings_the_earlier_credit_back(
    world: World, session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    ln = world.t1.learner_no
    first = import_grades(
        make_ctx,
        world.city,
        grade_sheet(
            tmp_path, [[ln, "C1", 80, None], [world.t2.learner_no, "C1", 40, None]], "a.xlsx"
        ),
    )
    second = import_grades(
        make_ctx,
        world.city,
        grade_sheet(
            tmp_path, [[ln, "C1", 30, None], [world.t2.learner_no, "C1", 75, None]], "b.xlsx"
        ),
    )
    assert [r[0] for r in ledger(session)] == [world.t2.learner_no]
    assert second.batch_id is not None and first.batch_id is not None
    with pytest.raises(Conflict):  # re-graded since: the first batch cannot be undone first
        imports.undo_batch(make_ctx(world.city), first.batch_id)
    imports.undo_batch(make_ctx(world.city), second.batch_id)
    assert ledger(session) == [(ln, "C1", 2026, "24", "专业科目")]
    third = import_grades(
        make_ctx,
        world.city,
        grade_sheet(tmp_path, [[world.t3.learner_no, "C1", 99, None]], "c.xlsx"),
    )
    assert third.batch_id is not None
    imports.undo_batch(make_ctx(world.city), third.batch_id)
    assert [r[0] for r in ledger(session)] == [ln]
    assert count_rows(session, Grade) == 2


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.sampled_from([0, 45, 59.5, 60, 88, "合格", "不合格"]), min_size=1, max_size=5))
def test_the_ledger_never_counts_a_course_twice_whatever_the_regrades(
    world: World,
    session: Session,
    make_ctx: CtxFactory,
    tmp_path_factory: pytest.TempPathFactory,
    scores: list[Any],
) -> None:
    tmp = tmp_path_factory.mktemp("g")
    ln = world.t2.learner_no
    for i, score in enumerate(scores):
        import_grades(
            make_ctx, world.city, grade_sheet(tmp, [[ln, "C1", score, None]], f"{i}.xlsx")
        )
    last = scores[-1]
    passed = last == "合格" or (not isinstance(last, str) and last >= 60)
    rows = [r for r in ledger(session) if r[0] == ln]
    assert rows == ([(ln, "C1", 2026, "24", "专业科目")] if passed else [])
    # reset for the next example
    import_grades(make_ctx, world.city, grade_sheet(tmp, [[ln, "C1", "不合格", None]], "z.xlsx"))


def test_grade_list_and_pass_rates_follow_the_scope(
    world: World, session: Session, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    import_grades(
        make_ctx,
        world.city,
        grade_sheet(
            tmp_path,
            [
                [world.t1.learner_no, "C1", 85, None],
                [world.t2.learner_no, "C1", "不合格", None],
                [world.t1.learner_no, "D1", 60, None],
            ],
        ),
    )
    views, total = grade_queries.list_grades(make_ctx(world.city), period="2601")
    assert total == 3
    assert [(v.learner_no, v.course_code, v.score, v.passed) for v in views][:2] == [
        (world.t1.learner_no, "C1", "85", True),
        (world.t2.learner_no, "C1", "不合格", False),
    ]
    views, total = grade_queries.list_grades(make_ctx(world.other_district), period="2601")
    assert total == 0
    rates = grade_queries.pass_rates(make_ctx(world.city), period="2601")
    assert [(r.course_code, r.passed, r.not_passed, r.total, r.rate) for r in rates] == [
        ("C1", 1, 2, 3, "33.3%"),
        ("D1", 1, 1, 2, "50.0%"),
        ("S1", 0, 2, 2, "0.0%"),
    ]
    school_rates = grade_queries.pass_rates(make_ctx(world.school), period="2601")
    assert [(r.course_code, r.total) for r in school_rates] == [("C1", 2), ("D1", 2), ("S1", 2)]
