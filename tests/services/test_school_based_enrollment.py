"""校本培训管理 (二) 选课管理 (seed; SPEC §6 Enroll), on SQLite and PostgreSQL: "校本课程申报获
审批通过后，学校继续教育管理员需要为学校的教师报读此课程" — not bound to the period's selection
window, until 12-31 of the course's year; teachers never select 校本 courses themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, NotFound
from jjadmin.models import AuditLog, Course, Enrollment, Teacher
from jjadmin.services import courses, enrollment
from jjadmin.services.context import Actor
from jjadmin.services.courses import Declaration
from jjadmin.services.enrollment import SelectionWindowClosed
from jjadmin.services.enrollment.gate import SchoolBasedClosed
from jjadmin.services.imports import ImportOptions
from jjadmin.services.results import FileMeta
from tests.factories import make_account, make_school, make_teacher
from tests.helpers_courses import make_course, make_period


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+08:00")


MAY = at("2026-05-12T09:00:00")
JUNE = at("2026-06-18T15:00:00")  # period 2601's window closed on 03-31
NEW_YEAR = at("2027-01-01T08:00:00")


@dataclass
class World:
    city: Actor
    district: Actor  # 440104
    school: Actor  # school A
    other_school: Actor  # school B, same district
    teachers: list[Teacher]  # of school A
    neighbour: Teacher  # of school B
    me: Actor  # teachers[0] logged in


@pytest.fixture
def world(session: Session) -> World:
    a = make_school(session, "4401040001", "440104")
    b = make_school(session, "4401040002", "440104")
    teachers = [make_teacher(session, a) for _ in range(3)]
    neighbour = make_teacher(session, b)
    p = make_period(session)
    make_course(session, p, "XB-A", level="校本培训", school=a, capacity=2)
    make_course(session, p, "XB-PEND", level="校本培训", school=a, approval="pending")
    make_course(session, p, "C001")
    t = teachers[0]
    w = World(
        city=make_account(session, "city"),
        district=make_account(session, "district", district="440104"),
        school=make_account(session, "school", school=a),
        other_school=make_account(session, "school", school=b),
        teachers=teachers,
        neighbour=neighbour,
        me=Actor(None, t.learner_no, "teacher", t.name, school_id=a.id, teacher_id=t.id),
    )
    session.commit()
    return w


def add(ctx: Any, course: str, teachers: list[Teacher], **kw: Any) -> Any:
    learners = [(i + 1, t.learner_no) for i, t in enumerate(teachers)]
    return enrollment.add_enrollments(ctx, period="2601", course=course, learners=learners, **kw)


def active(session: Session, code: str) -> int:
    n = session.execute(
        select(func.count())
        .select_from(Enrollment)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Course.code == code, Enrollment.state == "active")
    ).scalar_one()
    session.commit()
    return int(n)


def test_校本培训_a_course_approved_in_may_is_enrolled_by_its_school_in_june(
    world: World, make_ctx: Any, session: Session
) -> None:
    declared = courses.declare_course(
        make_ctx(world.school, now=MAY),
        period="2601",
        declaration=Declaration("XB-MAY", "校本研修：课堂观察", "16", "专业科目", "面授"),
    )
    assert declared.approval == "pending"
    courses.approve_course(make_ctx(world.district, now=MAY), period="2601", code="XB-MAY")
    report = add(make_ctx(world.school, now=JUNE), "XB-MAY", world.teachers)
    assert report.ok and report.created == 3
    assert active(session, "XB-MAY") == 3
    sources = set(session.execute(select(Enrollment.source)).scalars())
    forced = session.execute(
        select(func.count()).where(AuditLog.action == "enroll.force")
    ).scalar_one()
    session.commit()
    assert sources == {"admin"} and forced == 0  # nothing forced: 校本 has no window


def test_校本培训_the_school_also_enrolls_by_teacher_and_by_sheet_outside_the_window(
    world: World, make_ctx: Any, session: Session
) -> None:
    t = world.teachers[1]
    by_teacher = enrollment.add_enrollments(
        make_ctx(world.school, now=JUNE), period="2601", teacher=t.learner_no, courses=[(1, "XB-A")]
    )
    assert by_teacher.created == 1
    imported = enrollment.import_enrollments(
        make_ctx(world.school, now=JUNE),
        period="2601",
        rows=[
            enrollment.EnrollRow(
                2, {"learner_no": world.teachers[2].learner_no, "course_code": "XB-A"}
            )
        ],
        pre_issues=[],
        file=FileMeta("校本选课.xlsx", "0" * 64),
        options=ImportOptions(),
    )
    assert imported.ok and imported.created == 1
    assert active(session, "XB-A") == 2


def test_校本培训_the_district_and_the_city_enroll_too_without_force(
    world: World, make_ctx: Any, session: Session
) -> None:
    assert add(make_ctx(world.district, now=JUNE), "XB-A", world.teachers[:1]).created == 1
    assert add(make_ctx(world.city, now=JUNE), "XB-A", world.teachers[1:2]).created == 1
    assert active(session, "XB-A") == 2


def test_校本培训_only_the_courses_own_school_and_only_approved_courses(
    world: World, make_ctx: Any
) -> None:
    report = add(make_ctx(world.district, now=JUNE), "XB-A", [world.neighbour])
    assert [i.message for i in report.issues] == [
        "课程 XB-A 是其他学校的校本培训课程，只对该校教师开放"
    ]
    pending = add(make_ctx(world.school, now=JUNE), "XB-PEND", world.teachers[:1])
    assert "尚未审批通过" in pending.issues[0].message


def test_校本培训_enrollment_closes_after_12_31_of_the_courses_year(
    world: World, make_ctx: Any, session: Session
) -> None:
    last_day = at("2026-12-31T23:00:00")
    assert add(make_ctx(world.school, now=last_day), "XB-A", world.teachers[:1]).created == 1
    with pytest.raises(SchoolBasedClosed, match="截止于 2026-12-31") as caught:
        add(make_ctx(world.school, now=NEW_YEAR), "XB-A", world.teachers[1:2])
    assert caught.value.exit_code == 5
    with pytest.raises(SchoolBasedClosed):
        add(make_ctx(world.city, now=NEW_YEAR), "XB-A", world.teachers[1:2])
    forced = add(make_ctx(world.city, now=NEW_YEAR), "XB-A", world.teachers[1:2], force=True)
    assert forced.created == 1
    source = session.execute(
        select(Enrollment.source)
        .join(Teacher, Teacher.id == Enrollment.teacher_id)
        .where(Teacher.learner_no == world.teachers[1].learner_no)
    ).scalar_one()
    session.commit()
    assert source == "force"


def test_校本培训_other_levels_stay_bound_to_the_selection_window(
    world: World, make_ctx: Any, session: Session
) -> None:
    with pytest.raises(SelectionWindowClosed, match="校本培训课程不受选课时间限制"):
        enrollment.add_enrollments(
            make_ctx(world.school, now=JUNE),
            period="2601",
            teacher=world.teachers[0].learner_no,
            courses=[(1, "XB-A"), (2, "C001")],
        )
    with pytest.raises(SelectionWindowClosed):
        add(make_ctx(world.school, now=JUNE), "C001", world.teachers[:1])
    assert active(session, "XB-A") == active(session, "C001") == 0


def test_校本培训_teachers_do_not_select_school_based_courses_themselves(
    world: World, make_ctx: Any, session: Session
) -> None:
    with pytest.raises(Conflict, match="学校继续教育管理员需要为学校的教师报读|报读（招生录取）"):
        enrollment.enroll_self(make_ctx(world.me), course_codes=["XB-A"])
    with pytest.raises(Conflict, match="校本培训课程"):
        enrollment.enroll_self(make_ctx(world.me), course_codes=["C001", "XB-A"])
    assert active(session, "XB-A") == active(session, "C001") == 0


def test_校本培训_the_school_drops_its_enrollments_until_12_31_and_the_teacher_cannot(
    world: World, make_ctx: Any, session: Session
) -> None:
    add(make_ctx(world.school, now=JUNE), "XB-A", world.teachers[:2])
    first, second = (t.learner_no for t in world.teachers[:2])
    with pytest.raises(Conflict, match="不能自行取消"):
        enrollment.drop_own_enrollment(
            make_ctx(world.me, now=at("2026-03-20T10:00:00")), course_code="XB-A", period="2601"
        )
    dropped = enrollment.drop_enrollment(
        make_ctx(world.school, now=JUNE), period="2601", learner_no=first, course_code="XB-A"
    )
    assert dropped.state == "dropped"
    with pytest.raises(SchoolBasedClosed, match="2026-12-31"):
        enrollment.drop_enrollment(
            make_ctx(world.school, now=NEW_YEAR),
            period="2601",
            learner_no=second,
            course_code="XB-A",
        )
    with pytest.raises(NotFound):
        enrollment.drop_enrollment(
            make_ctx(world.school, now=JUNE), period="2601", learner_no=first, course_code="XB-B"
        )
    assert active(session, "XB-A") == 1
