"""我的档案: courses per period with state, payment and grade; hours by year; 专项 records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from jjadmin.errors import PermissionDenied
from jjadmin.models import CreditRecord, Enrollment, Grade, SpecialTrainingApplication
from jjadmin.services.context import Actor
from jjadmin.services.learner_archive import my_archive
from tests.factories import NOW, make_account, make_school, make_teacher
from tests.helpers_courses import make_course, make_period


def _enroll(s: Session, course: Any, teacher: Any, **over: Any) -> Enrollment:
    e = Enrollment(
        period=course.period,
        course_id=course.id,
        teacher_id=teacher.id,
        school_id=teacher.school_id,
        created_at=NOW,
        **over,
    )
    s.add(e)
    s.flush()
    return e


def _grade(s: Session, e: Enrollment, score: str | None, passed: bool) -> None:
    s.add(
        Grade(
            enrollment_id=e.id,
            score=None if score is None else Decimal(score),
            passed=passed,
            recorded_at=NOW,
        )
    )


def test_the_archive_by_period_and_year(session: Session, make_ctx: Any) -> None:
    school = make_school(session)
    me = make_teacher(session, school)
    other = make_teacher(session, school)
    p1, p2 = make_period(session, "2501"), make_period(session, "2601")
    a = make_course(session, p1, "A", hours=Decimal(24), hour_type="专业科目")
    b = make_course(session, p1, "B", hours=Decimal(8), hour_type="公需科目")
    c = make_course(session, p2, "C", hours=Decimal(12), hour_type="专业科目")
    d = make_course(session, p2, "D", hours=Decimal(6))
    zx = make_course(session, p2, "ZX", level="专项培训")
    _grade(session, _enroll(session, a, me, paid=True), "85", True)
    _grade(session, _enroll(session, b, me, paid=True), "50", False)
    _grade(session, _enroll(session, c, me), None, True)  # 合格
    _enroll(session, d, me, state="dropped")
    _grade(session, _enroll(session, a, other, paid=True), "90", True)
    session.add(
        SpecialTrainingApplication(
            teacher_id=me.id,
            school_id=school.id,
            course_id=zx.id,
            state="待学校审核",
            applied_at=NOW,
        )
    )
    for year, hours, hour_type, source in (
        (2026, "10", "个人选修", "declaration"),
        (2026, "12", "专业科目", "grade"),
        (2025, "24", "专业科目", "grade"),
    ):
        session.add(
            CreditRecord(
                teacher_id=me.id,
                year=year,
                hours=Decimal(hours),
                hour_type=hour_type,
                source=source,
                source_ref=f"{source}{year}",
                title="t",
                created_at=NOW,
            )
        )
    session.add(
        CreditRecord(
            teacher_id=other.id,
            year=2026,
            hours=Decimal(8),
            hour_type="公需科目",
            source="grade",
            source_ref="x",
            title="t",
            created_at=NOW,
        )
    )
    session.commit()
    actor = Actor(None, me.learner_no, "teacher", me.name, school_id=school.id, teacher_id=me.id)
    archive = my_archive(make_ctx(actor))
    assert archive.learner_no == me.learner_no
    rows = {(i.period, i.course_code): i for i in archive.items}
    assert set(rows) == {("2601", "C"), ("2601", "D"), ("2501", "A"), ("2501", "B")}
    assert (rows["2501", "A"].score, rows["2501", "A"].passed, rows["2501", "A"].paid) == (
        Decimal("85.0"),
        True,
        True,
    )
    assert rows["2501", "B"].credited_hours == 0 and rows["2501", "B"].passed is False
    assert rows["2601", "C"].score is None and rows["2601", "C"].credited_hours == Decimal(12)
    assert rows["2601", "D"].state == "dropped" and rows["2601", "D"].passed is None
    years = {y.year: y for y in archive.years}
    assert years[2025].credited_hours == Decimal(24) and years[2025].courses == 2
    assert years[2025].by_type == {"专业科目": Decimal(24)}
    assert years[2026].credited_hours == Decimal(12) and years[2026].courses == 1
    assert years[2026].ledger_hours == Decimal(22)  # the ledger also holds a declaration
    assert years[2026].ledger_by_type == {"个人选修": Decimal(10), "专业科目": Decimal(12)}
    assert years[2025].ledger_hours == Decimal(24)
    assert [x.course_code for x in archive.special_training] == ["ZX"]
    assert {i.course_code for i in my_archive(make_ctx(actor), period="2601").items} == {"C", "D"}
    only_2025 = my_archive(make_ctx(actor), year=2025)
    assert {i.course_code for i in only_2025.items} == {"A", "B"}
    assert [y.year for y in only_2025.years] == [2025]
    with pytest.raises(PermissionDenied):
        my_archive(make_ctx(make_account(session, "school", school=school)))
