"""课程超市 and `me hours`: what a logged-in teacher sees and what is recommended."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from jjadmin.errors import PermissionDenied
from jjadmin.models import AbilityConfig, CreditRecord, School, Teacher
from jjadmin.services import enrollment
from jjadmin.services.context import Actor
from tests.factories import NOW, make_account, make_school, make_teacher
from tests.helpers_courses import make_course, make_period


@dataclass
class Setup:
    me: Actor
    teacher: Teacher
    school: School


@pytest.fixture
def setup(session: Session) -> Setup:
    school = make_school(session, "4401040001", "440104")
    other = make_school(session, "4401050001", "440105")
    t = make_teacher(session, school, subject="数学", stage="初中")
    p = make_period(session)
    # open to the teacher
    make_course(session, p, "M-JH", subjects="数学", stages="初中", hours=Decimal(24))
    make_course(session, p, "M-ANY", subjects="数学", hours=Decimal(12))
    make_course(session, p, "JH-ANY", stages="初中", hours=Decimal(12))
    make_course(session, p, "GEN1", hours=Decimal(8))
    make_course(session, p, "GEN2", hours=Decimal(8))
    make_course(session, p, "GEN3", hours=Decimal(8))
    make_course(session, p, "GEN4", hours=Decimal(8))
    make_course(session, p, "GEN5", hours=Decimal(8))
    make_course(session, p, "GEN6", hours=Decimal(8))
    make_course(session, p, "D104", level="区级培训", district="440104", hours=Decimal(16))
    make_course(session, p, "AB01", level="提升工程", subjects="数学", hours=Decimal(8))
    make_course(session, p, "SPEC", level="专项培训", hours=Decimal(30))
    make_course(session, p, "S-MINE", level="校本培训", school=school, hours=Decimal(16))
    # not for this teacher
    make_course(session, p, "CHN", subjects="语文", hours=Decimal(24))
    make_course(session, p, "HS", stages="高中", hours=Decimal(24))
    make_course(session, p, "D105", level="区级培训", district="440105")
    make_course(session, p, "S-OTHER", level="校本培训", school=other)
    make_course(session, p, "OFF", status="下线")
    make_course(session, p, "FULL", capacity=1, enrolled=1)
    acc = make_account(session, "teacher", username=t.learner_no)
    session.commit()
    me = Actor(
        acc.account_id, t.learner_no, "teacher", t.name, school_id=school.id, teacher_id=t.id
    )
    return Setup(me, t, school)


def codes(items: list[Any]) -> list[str]:
    return [c.course_code for c in items]


def test_the_market_lists_online_courses_open_to_the_teacher_with_seats(
    setup: Setup, make_ctx: Any
) -> None:
    market = enrollment.course_market(make_ctx(setup.me))
    assert market.period == "2601"
    assert set(codes(market.items)) == {
        "M-JH",
        "M-ANY",
        "JH-ANY",
        "GEN1",
        "GEN2",
        "GEN3",
        "GEN4",
        "GEN5",
        "GEN6",
        "D104",
        "AB01",
        "SPEC",
        "S-MINE",
        "CHN",
        "HS",
    }
    assert market.total == len(market.items)


def test_the_market_filters_by_level_hour_type_and_keyword(setup: Setup, make_ctx: Any) -> None:
    ctx = make_ctx(setup.me)
    assert codes(enrollment.course_market(ctx, level="区级培训").items) == ["D104"]
    assert codes(enrollment.course_market(ctx, keyword="gen1").items) == ["GEN1"]
    assert codes(enrollment.course_market(ctx, keyword="课程M-J").items) == ["M-JH"]
    assert enrollment.course_market(ctx, hour_type="公需科目").total == 0


def test_a_selected_course_is_marked_and_stays_listed_when_full(
    setup: Setup, session: Session, make_ctx: Any
) -> None:
    full = make_course(session, "2601", "LAST", capacity=1)
    session.commit()
    enrollment.enroll_self(make_ctx(setup.me), course_codes=["LAST", "GEN1"])
    market = enrollment.course_market(make_ctx(setup.me))
    selected = {c.course_code for c in market.items if c.selected}
    assert selected == {"LAST", "GEN1"}
    assert full.code in codes(market.items)
    assert codes(enrollment.course_market(make_ctx(setup.me), mine=True).items) == [
        "GEN1",
        "LAST",
    ]


def test_recommendations_match_subject_and_stage_first_and_cover_the_missing_hours(
    setup: Setup, make_ctx: Any
) -> None:
    market = enrollment.course_market(make_ctx(setup.me))
    rec = codes(market.recommended)
    assert market.hours.missing_hours == "72"
    # best matches first (subject and stage, then subject, then stage, then general courses),
    # until the 72 missing hours are covered: 24 + 12 + 8 + 12 + 8 + 8
    assert rec == ["M-JH", "M-ANY", "AB01", "JH-ANY", "GEN1", "GEN2"]
    assert not {"CHN", "HS", "SPEC", "S-MINE", "D105", "OFF", "FULL"} & set(rec)
    assert market.recommended[0].reason == "匹配任教学科和学段"


def test_at_most_eight_courses_are_recommended(
    setup: Setup, session: Session, make_ctx: Any
) -> None:
    for i in range(10):
        make_course(session, "2601", f"TINY{i}", subjects="数学", stages="初中", hours=Decimal(1))
    session.commit()
    rec = codes(enrollment.course_market(make_ctx(setup.me)).recommended)
    assert len(rec) == 8 and rec[0] == "M-JH"


def test_recommendations_never_repeat_a_selected_course(setup: Setup, make_ctx: Any) -> None:
    enrollment.enroll_self(make_ctx(setup.me), course_codes=["M-JH", "M-ANY"])
    market = enrollment.course_market(make_ctx(setup.me))
    assert not {"M-JH", "M-ANY"} & set(codes(market.recommended))
    assert market.hours.enrolled_hours == "36"
    assert market.hours.missing_hours == "36"


def test_with_few_hours_missing_five_courses_are_recommended(
    setup: Setup, session: Session, make_ctx: Any
) -> None:
    session.add(
        CreditRecord(
            teacher_id=setup.teacher.id or 0,
            year=2026,
            hours=Decimal(70),
            hour_type="专业科目",
            source="declaration",
            source_ref="1",
            title="学时申报",
            created_at=NOW,
        )
    )
    session.commit()
    market = enrollment.course_market(make_ctx(setup.me))
    assert market.hours.earned_hours == "70" and market.hours.missing_hours == "2"
    assert len(market.recommended) == 5


def test_ability_project_courses_are_recommended_only_inside_the_pilot(
    setup: Setup, session: Session, make_ctx: Any
) -> None:
    session.add(
        AbilityConfig(period="2601", districts=["440105"], subjects=["数学"], updated_at=NOW)
    )
    session.commit()
    assert "AB01" not in codes(enrollment.course_market(make_ctx(setup.me)).recommended)
    cfg = session.get(AbilityConfig, "2601")
    assert cfg is not None
    cfg.districts = ["440104"]
    session.commit()
    assert "AB01" in codes(enrollment.course_market(make_ctx(setup.me)).recommended)


def test_my_hours_add_credit_records_and_this_years_enrollments(
    setup: Setup, session: Session, make_ctx: Any
) -> None:
    for hours, kind in ((Decimal(10), "公需科目"), (Decimal("6.5"), "专业科目")):
        session.add(
            CreditRecord(
                teacher_id=setup.teacher.id or 0,
                year=2026,
                hours=hours,
                hour_type=kind,
                source="grade",
                source_ref=kind,
                title="课程",
                created_at=NOW,
            )
        )
    session.add(
        CreditRecord(
            teacher_id=setup.teacher.id or 0,
            year=2025,
            hours=Decimal(50),
            hour_type="公需科目",
            source="grade",
            source_ref="9",
            title="去年",
            created_at=NOW,
        )
    )
    session.commit()
    enrollment.enroll_self(make_ctx(setup.me), course_codes=["D104"])
    h = enrollment.my_hours(make_ctx(setup.me))
    assert (h.year, h.required_hours, h.earned_hours, h.enrolled_hours, h.missing_hours) == (
        2026,
        "72",
        "16.5",
        "16",
        "39.5",
    )
    assert h.by_type == {"专业科目": "6.5", "公需科目": "10"}
    assert enrollment.my_hours(make_ctx(setup.me), year=2025).earned_hours == "50"


def test_the_market_is_for_teacher_accounts_only(
    setup: Setup, session: Session, make_ctx: Any
) -> None:
    admin = make_account(session, "school", school=setup.school)
    session.commit()
    with pytest.raises(PermissionDenied):
        enrollment.course_market(make_ctx(admin))
    with pytest.raises(PermissionDenied):
        enrollment.my_hours(make_ctx(admin))
