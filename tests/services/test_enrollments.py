"""选课: every rule of SPEC §6 Enroll, on SQLite and PostgreSQL (the `engine` fixture)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from jjadmin.errors import (
    Conflict,
    InputRejected,
    InvalidValue,
    NotFound,
    PermissionDenied,
    VerificationRequired,
)
from jjadmin.models import AbilityConfig, AuditLog, Course, Enrollment, SpecialUser, Teacher
from jjadmin.services import enrollment
from jjadmin.services.context import Actor
from jjadmin.services.enrollment import (
    ABILITY_ONLY_SELF,
    CapacityExceeded,
    EnrollmentFilter,
    EnrollRow,
    SelectionWindowClosed,
    planner,
)
from jjadmin.services.imports import ImportOptions, undo_batch
from jjadmin.services.results import FileMeta, ImportReport
from tests.factories import NOW, make_account, make_school, make_teacher
from tests.helpers_courses import make_course, make_period

AFTER_WINDOW = datetime.fromisoformat("2026-04-02T10:00:00+08:00")
BEFORE_WINDOW = datetime.fromisoformat("2026-02-20T10:00:00+08:00")
FILE = FileMeta("选课.xlsx", "0" * 64)


@dataclass
class World:
    city: Actor
    district: Actor
    school: Actor
    other_school: Actor
    institution: Actor
    teachers: list[Teacher]  # five teachers of school A (district 440104)
    neighbour: Teacher  # school B, same district
    far: Teacher  # school C, district 440105
    ids: dict[str, int]


@pytest.fixture
def world(session: Session) -> World:
    a = make_school(session, "4401040001", "440104")
    b = make_school(session, "4401040002", "440104")
    c = make_school(session, "4401050001", "440105")
    teachers = [make_teacher(session, a, subject="数学", stage="初中") for _ in range(5)]
    neighbour = make_teacher(session, b)
    far = make_teacher(session, c)
    period = make_period(session)
    make_period(
        session,
        "2602",
        select_from=datetime.fromisoformat("2026-09-01T00:00:00+08:00"),
        select_to=datetime.fromisoformat("2026-09-20T23:59:59+08:00"),
        pay_by=datetime.fromisoformat("2026-10-15T23:59:59+08:00"),
    )
    make_course(session, period, "C001", capacity=10)
    make_course(session, period, "C002")
    make_course(session, "2602", "N001")
    make_course(session, period, "D104", level="区级培训", district="440104")
    make_course(session, period, "D105", level="区级培训", district="440105")
    make_course(session, period, "S-A", level="校本培训", school=a)
    make_course(session, period, "S-B", level="校本培训", school=b)
    make_course(session, period, "S-PEND", level="校本培训", school=a, approval="pending")
    make_course(session, period, "AB01", level="提升工程", ability_category="通识必修")
    make_course(session, period, "OFF", status="下线")
    make_course(session, period, "INST", charging_unit="天河培训学院", fee=5000, material_fee=800)
    w = World(
        city=make_account(session, "city"),
        district=make_account(session, "district", district="440104"),
        school=make_account(session, "school", school=a),
        other_school=make_account(session, "school", school=c),
        institution=make_account(session, "institution", institution="天河培训学院"),
        teachers=teachers,
        neighbour=neighbour,
        far=far,
        ids={"a": a.id or 0, "b": b.id or 0, "c": c.id or 0},
    )
    session.commit()
    return w


def teacher_actor(session: Session, t: Teacher) -> Actor:
    acc = make_account(session, "teacher", username=t.learner_no)
    session.commit()
    return Actor(
        acc.account_id, t.learner_no, "teacher", t.name, school_id=t.school_id, teacher_id=t.id
    )


def ln(ts: list[Teacher]) -> list[tuple[int, str]]:
    return [(i + 1, t.learner_no) for i, t in enumerate(ts)]


def add(ctx: Any, course: str = "C001", teachers: list[Teacher] | None = None, **kw: Any) -> Any:
    return enrollment.add_enrollments(
        ctx, period="2601", course=course, learners=ln(teachers or []), **kw
    )


def fetch(session: Session, stmt: Any) -> list[Any]:
    """Column values straight from the database; ends the read so that the services' write
    transactions can start (in-memory SQLite shares one connection with this session)."""
    values = list(session.execute(stmt).scalars())
    session.commit()
    return values


def active(session: Session, code: str) -> int:
    stmt = (
        select(func.count())
        .select_from(Enrollment)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Course.code == code, Enrollment.state == "active")
    )
    return int(fetch(session, stmt)[0])


def enrolled(session: Session, code: str) -> int:
    return int(fetch(session, select(Course.enrolled).where(Course.code == code))[0])


def messages(report: ImportReport) -> list[str]:
    return [i.message for i in report.sorted_issues()]


# --- enroll add -------------------------------------------------------------------------------


def test_enroll_add_by_course_creates_enrollments_and_takes_seats(
    world: World, session: Session, make_ctx: Any
) -> None:
    report = add(make_ctx(world.school), teachers=world.teachers[:3])
    assert report.ok and report.created == 3 and report.skipped == 0
    assert active(session, "C001") == 3
    assert enrolled(session, "C001") == 3
    row = fetch(session, select(Enrollment.school_id, Enrollment.source, Enrollment.paid))
    assert row == [world.ids["a"]] * 3
    assert fetch(session, select(Enrollment.source).distinct()) == ["admin"]
    assert fetch(session, select(Enrollment.paid).distinct()) == [False]


def test_enroll_add_by_teacher_selects_several_courses(
    world: World, session: Session, make_ctx: Any
) -> None:
    t = world.teachers[0]
    report = enrollment.add_enrollments(
        make_ctx(world.school),
        period="2601",
        teacher=t.learner_no,
        courses=[(1, "C001"), (2, "C002"), (3, "D104"), (4, "S-A")],
    )
    assert report.ok and report.created == 4
    assert [active(session, c) for c in ("C001", "C002", "D104", "S-A")] == [1, 1, 1, 1]


def test_an_existing_enrollment_is_skipped_and_never_duplicated(
    world: World, session: Session, make_ctx: Any
) -> None:
    add(make_ctx(world.school), teachers=world.teachers[:2])
    again = add(make_ctx(world.school), teachers=world.teachers[:3])
    assert again.ok and again.created == 1 and again.skipped == 2
    assert active(session, "C001") == 3 and enrolled(session, "C001") == 3


def test_enrolling_outside_the_selection_window_is_a_conflict(
    world: World, make_ctx: Any, session: Session
) -> None:
    for when in (BEFORE_WINDOW, AFTER_WINDOW):
        with pytest.raises(
            SelectionWindowClosed, match="不在选课时间内（2026-03-01 至 2026-03-31）"
        ):
            add(make_ctx(world.school, now=when), teachers=world.teachers[:1])
    assert active(session, "C001") == 0


def test_the_city_may_force_enrollment_outside_the_window_and_it_is_audited(
    world: World, session: Session, make_ctx: Any
) -> None:
    report = add(make_ctx(world.city, now=AFTER_WINDOW), teachers=world.teachers[:2], force=True)
    assert report.created == 2
    assert fetch(session, select(Enrollment.source)) == ["force", "force"]
    forced = fetch(session, select(AuditLog.target).where(AuditLog.action == "enroll.force"))
    assert forced == ["2601"]


def test_only_the_city_may_force(world: World, make_ctx: Any) -> None:
    with pytest.raises(PermissionDenied, match="只有市级培训中心"):
        add(make_ctx(world.school, now=AFTER_WINDOW), teachers=world.teachers[:1], force=True)


def test_a_school_cannot_enroll_a_teacher_of_another_school(
    world: World, session: Session, make_ctx: Any
) -> None:
    with pytest.raises(PermissionDenied) as err:
        add(make_ctx(world.school), teachers=[world.teachers[0], world.neighbour])
    assert "无权访问该单位的数据" in err.value.message
    assert world.neighbour.name not in err.value.message
    assert active(session, "C001") == 0


def test_a_district_enrolls_its_own_schools_only(world: World, make_ctx: Any) -> None:
    report = add(make_ctx(world.district), teachers=[world.teachers[0], world.neighbour])
    assert report.created == 2
    with pytest.raises(PermissionDenied):
        add(make_ctx(world.district), teachers=[world.far])


def test_only_teachers_in_post_may_be_enrolled(
    world: World, session: Session, make_ctx: Any
) -> None:
    t = session.get(Teacher, world.teachers[1].id)
    assert t is not None
    t.status = "离职"
    session.commit()
    report = add(make_ctx(world.school), teachers=world.teachers[:2])
    assert not report.ok and report.created == 0
    assert messages(report) == [f"教师 {t.learner_no} 的在岗状态为“离职”，只有在职教师可以选课"]
    assert active(session, "C001") == 0


def test_a_special_user_cannot_be_enrolled_until_cleared(
    world: World, session: Session, make_ctx: Any
) -> None:
    t = world.teachers[0]
    flag = SpecialUser(teacher_id=t.id or 0, period="2602", flagged_at=NOW)
    session.add(flag)
    session.commit()
    report = add(make_ctx(world.school), teachers=[t])
    assert "特殊用户" in messages(report)[0]
    flag.cleared_at = NOW
    session.commit()
    assert add(make_ctx(world.school), teachers=[t]).created == 1


@pytest.mark.parametrize(
    ("course", "message"),
    [
        ("OFF", "课程 OFF 未上线"),
        ("N001", "2601 期没有课程编号为 N001 的课程"),
        ("NOPE", "2601 期没有课程编号为 NOPE 的课程"),
        ("D105", "课程 D105 是区级培训课程，只对本区教师开放"),
        ("S-B", "课程 S-B 是其他学校的校本培训课程"),
        ("S-PEND", "校本课程 S-PEND 尚未审批通过"),
        ("AB01", ABILITY_ONLY_SELF),
    ],
)
def test_a_course_must_be_online_of_the_period_and_open_to_the_teacher(
    world: World, session: Session, make_ctx: Any, course: str, message: str
) -> None:
    t = world.teachers[0]
    report = enrollment.add_enrollments(
        make_ctx(world.school),
        period="2601",
        teacher=t.learner_no,
        courses=[(1, "C002"), (2, course)],
    )
    assert report.created == 0
    assert [(i.row, i.column) for i in report.issues] == [(2, "课程编号")]
    assert message in report.issues[0].message
    assert active(session, "C002") == 0


def test_district_and_school_based_courses_are_open_to_their_own_teachers(
    world: World, make_ctx: Any
) -> None:
    report = enrollment.add_enrollments(
        make_ctx(world.district),
        period="2601",
        teacher=world.neighbour.learner_no,
        courses=[(1, "D104"), (2, "S-B")],
    )
    assert report.ok and report.created == 2


def test_the_main_course_or_teacher_of_enroll_add_must_exist(world: World, make_ctx: Any) -> None:
    with pytest.raises(NotFound, match="课程不存在"):
        add(make_ctx(world.school), course="NOPE", teachers=world.teachers[:1])
    with pytest.raises(NotFound, match="学号不存在"):
        enrollment.add_enrollments(
            make_ctx(world.school),
            period="2601",
            teacher="44012699999999",
            courses=[(1, "C001")],
        )


def test_an_unknown_or_malformed_learner_number_is_a_row_error(world: World, make_ctx: Any) -> None:
    report = enrollment.add_enrollments(
        make_ctx(world.school),
        period="2601",
        course="C001",
        learners=[(1, world.teachers[0].learner_no), (2, "44012699999999"), (3, "123")],
    )
    assert [(i.row, i.column) for i in report.sorted_issues()] == [(2, "学号"), (3, "学号")]
    assert "学号不存在：44012699999999" in messages(report)[0]
    assert report.created == 0


def test_a_name_given_with_the_teachers_must_match(world: World, make_ctx: Any) -> None:
    t = world.teachers
    report = enrollment.add_enrollments(
        make_ctx(world.school),
        period="2601",
        course="C001",
        learners=[(2, t[0].learner_no, t[0].name), (3, t[1].learner_no, t[2].name)],
    )
    assert [(i.row, i.column) for i in report.issues] == [(3, "姓名")]
    assert report.created == 0


def test_a_malformed_period_code_is_rejected(world: World, make_ctx: Any) -> None:
    with pytest.raises(InvalidValue, match="期数"):
        enrollment.add_enrollments(
            make_ctx(world.school), period="26A1", course="C001", learners=[(1, "x")]
        )
    with pytest.raises(NotFound, match="期数不存在"):
        add_period = enrollment.add_enrollments
        add_period(
            make_ctx(world.school),
            period="2701",
            course="C001",
            learners=ln(world.teachers[:1]),
        )


# --- capacity ---------------------------------------------------------------------------------


def _fill(session: Session, code: str, taken: int) -> None:
    c = session.execute(select(Course).where(Course.code == code)).scalar_one()
    c.enrolled = taken
    session.commit()


def test_a_batch_that_does_not_fit_the_remaining_seats_is_refused_whole(
    world: World, session: Session, make_ctx: Any
) -> None:
    _fill(session, "C001", 8)
    report = add(make_ctx(world.school), teachers=world.teachers[:3])
    assert report.created == 0 and len(report.issues) == 3
    assert set(messages(report)) == {"课程 C001 剩余名额 2，本次需 3"}
    assert enrolled(session, "C001") == 8 and active(session, "C001") == 0


def test_with_skip_invalid_the_first_rows_take_the_remaining_seats(
    world: World, session: Session, make_ctx: Any
) -> None:
    _fill(session, "C001", 8)
    report = add(make_ctx(world.school), teachers=world.teachers[:3], skip_invalid=True)
    assert report.created == 2 and [i.row for i in report.issues] == [3]
    assert enrolled(session, "C001") == 10 and active(session, "C001") == 2
    chosen = fetch(session, select(Enrollment.teacher_id).order_by(Enrollment.id))
    assert chosen == [world.teachers[0].id, world.teachers[1].id]


def test_the_guarded_seat_update_refuses_what_a_stale_plan_would_overfill(
    world: World, session: Session, make_ctx: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(session, "C001", 9)
    # a plan made before another run took the seats: only the guarded UPDATE stands in the way
    monkeypatch.setattr(planner, "_check_capacity", lambda *a, **k: None)
    with pytest.raises(CapacityExceeded, match="名额不足"):
        add(make_ctx(world.school), teachers=world.teachers[:2])
    assert enrolled(session, "C001") == 9 and active(session, "C001") == 0


# --- self-selection ---------------------------------------------------------------------------


def test_a_teacher_of_the_pilot_selects_ability_courses_only_through_ability_confirm(
    world: World, session: Session, make_ctx: Any
) -> None:
    """选课指引: "测评+选课" — a plain `me enroll` of a 提升工程 course is refused (exit 5) and
    points at the assessment and `ability confirm` (tests/services/ability/)."""
    session.add(
        AbilityConfig(period="2601", districts=["440104"], subjects=["数学"], updated_at=NOW)
    )
    session.commit()
    me = teacher_actor(session, world.teachers[0])
    with pytest.raises(Conflict, match="须先完成诊断测评") as raised:
        enrollment.enroll_self(make_ctx(me), course_codes=["AB01", "C002"])
    assert "ability confirm" in (raised.value.hint or "")
    assert fetch(session, select(Enrollment.source)) == []


@pytest.mark.parametrize(
    "pilot",
    [None, (["440105"], ["数学"]), (["440104"], ["英语"])],
    ids=["none", "district", "subject"],
)
def test_能力提升工程_a_teacher_outside_the_pilot_cannot_select_an_ability_course(
    pilot: tuple[list[str], list[str]] | None, world: World, session: Session, make_ctx: Any
) -> None:
    if pilot is not None:
        session.add(
            AbilityConfig(period="2601", districts=pilot[0], subjects=pilot[1], updated_at=NOW)
        )
        session.commit()
    me = teacher_actor(session, world.teachers[0])
    with pytest.raises(Conflict, match="只对试点区、试点学科的教师开放"):
        enrollment.enroll_self(make_ctx(me), course_codes=["C002", "AB01"])
    assert active(session, "C002") == 0


def test_self_selection_only_inside_the_window(
    world: World, session: Session, make_ctx: Any
) -> None:
    me = teacher_actor(session, world.teachers[0])
    with pytest.raises(SelectionWindowClosed):
        enrollment.enroll_self(make_ctx(me, now=AFTER_WINDOW), course_codes=["C002"], period="2601")


def test_only_a_teacher_account_selects_for_itself(world: World, make_ctx: Any) -> None:
    with pytest.raises(PermissionDenied):
        enrollment.enroll_self(make_ctx(world.school), course_codes=["C002"])


# --- import -----------------------------------------------------------------------------------


def rows(*values: tuple[str, str] | tuple[str, str, str]) -> list[EnrollRow]:
    out = []
    for i, v in enumerate(values, start=2):
        d: dict[str, Any] = {"learner_no": v[0], "course_code": v[1]}
        if len(v) == 3:
            d["name"] = v[2]
        out.append(EnrollRow(i, d))
    return out


def do_import(ctx: Any, data: list[EnrollRow], **opts: Any) -> ImportReport:
    return enrollment.import_enrollments(
        ctx, period="2601", rows=data, pre_issues=[], file=FILE, options=ImportOptions(**opts)
    )


def test_import_writes_every_row_and_records_a_batch(
    world: World, session: Session, make_ctx: Any
) -> None:
    t = world.teachers
    report = do_import(
        make_ctx(world.school),
        rows(
            (t[0].learner_no, "C001", t[0].name),
            (t[1].learner_no, "C002"),
            (t[0].learner_no, "C002"),
        ),
    )
    assert report.ok and report.created == 3 and report.batch_id is not None
    assert fetch(session, select(Enrollment.batch_id).distinct()) == [report.batch_id]
    assert fetch(session, select(Enrollment.source).distinct()) == ["import"]


def test_a_name_that_does_not_match_the_learner_number_is_a_row_error(
    world: World, make_ctx: Any
) -> None:
    t = world.teachers
    report = do_import(
        make_ctx(world.school),
        rows((t[0].learner_no, "C001", t[1].name), (t[1].learner_no, "C001", f" {t[1].name} ")),
    )
    assert [(i.row, i.column, i.value) for i in report.issues] == [(2, "姓名", t[1].name)]
    assert "请检查是否错行" in report.issues[0].message
    assert report.created == 0


def test_a_pair_repeated_in_the_file_names_the_first_row(world: World, make_ctx: Any) -> None:
    t = world.teachers[0]
    report = do_import(make_ctx(world.school), rows((t.learner_no, "C001"), (t.learner_no, "C001")))
    assert [(i.row, i.message) for i in report.issues] == [(3, "与第 2 行重复（同一教师同一课程）")]


def test_an_import_row_of_another_school_is_a_row_error(world: World, make_ctx: Any) -> None:
    report = do_import(
        make_ctx(world.school),
        rows((world.teachers[0].learner_no, "C001"), (world.neighbour.learner_no, "C001")),
    )
    assert [(i.row, i.message) for i in report.issues] == [(3, "无权访问该单位的数据")]


def test_the_ability_project_is_never_imported_collectively(world: World, make_ctx: Any) -> None:
    report = do_import(make_ctx(world.city), rows((world.teachers[0].learner_no, "AB01")))
    assert messages(report) == [ABILITY_ONLY_SELF]


def test_import_is_all_or_nothing_unless_skip_invalid(
    world: World, session: Session, make_ctx: Any
) -> None:
    t = world.teachers
    data = rows((t[0].learner_no, "C001"), ("44012699999999", "C001"), (t[1].learner_no, "X9"))
    refused = do_import(make_ctx(world.school), data)
    assert not refused.ok and refused.created == 0 and active(session, "C001") == 0
    dry = do_import(make_ctx(world.school), data, dry_run=True, skip_invalid=True)
    assert dry.created == 1 and active(session, "C001") == 0
    partial = do_import(make_ctx(world.school), data, skip_invalid=True)
    assert partial.created == 1 and len(partial.issues) == 2 and partial.skipped == 0
    assert active(session, "C001") == 1 and enrolled(session, "C001") == 1


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    world: World, session: Session, make_ctx: Any
) -> None:
    data = rows(*[(t.learner_no, "C001") for t in world.teachers])
    first = do_import(make_ctx(world.school), data)
    second = do_import(make_ctx(world.school), data)
    assert first.created == 5
    assert second.ok and second.created == 0 and second.skipped == 5 and second.batch_id is None
    assert active(session, "C001") == 5 and enrolled(session, "C001") == 5


def test_an_import_over_capacity_is_refused_whole(
    world: World, session: Session, make_ctx: Any
) -> None:
    _fill(session, "C001", 7)
    report = do_import(
        make_ctx(world.school), rows(*[(t.learner_no, "C001") for t in world.teachers])
    )
    assert report.created == 0 and len(report.issues) == 5
    assert "课程 C001 剩余名额 3，本次需 5" in messages(report)
    assert enrolled(session, "C001") == 7


def test_undoing_an_import_batch_removes_its_enrollments_and_frees_the_seats(
    world: World, session: Session, make_ctx: Any
) -> None:
    report = do_import(
        make_ctx(world.school), rows(*[(t.learner_no, "C001") for t in world.teachers])
    )
    assert enrolled(session, "C001") == 5
    undo_batch(make_ctx(world.school), report.batch_id)
    assert active(session, "C001") == 0 and enrolled(session, "C001") == 0


def test_an_import_batch_with_a_dropped_enrollment_cannot_be_undone(
    world: World, session: Session, make_ctx: Any
) -> None:
    t = world.teachers
    report = do_import(
        make_ctx(world.school), rows((t[0].learner_no, "C001"), (t[1].learner_no, "C001"))
    )
    drop(make_ctx(world.school), t[0])
    with pytest.raises(Conflict, match="又被修改过"):
        undo_batch(make_ctx(world.school), report.batch_id)
    assert active(session, "C001") == 1 and enrolled(session, "C001") == 1


def test_import_outside_the_window_is_a_conflict(world: World, make_ctx: Any) -> None:
    with pytest.raises(SelectionWindowClosed):
        do_import(
            make_ctx(world.school, now=AFTER_WINDOW), rows((world.teachers[0].learner_no, "C001"))
        )


# --- drop -------------------------------------------------------------------------------------


def _enroll_one(world: World, make_ctx: Any, course: str = "C001") -> Teacher:
    t = world.teachers[0]
    enrollment.add_enrollments(
        make_ctx(world.city), period="2601", teacher=t.learner_no, courses=[(1, course)]
    )
    return t


def drop(ctx: Any, t: Teacher, course: str = "C001") -> Any:
    return enrollment.drop_enrollment(
        ctx, period="2601", learner_no=t.learner_no, course_code=course
    )


def test_a_school_drops_inside_the_window_and_the_seat_is_released(
    world: World, session: Session, make_ctx: Any
) -> None:
    t = _enroll_one(world, make_ctx)
    result = drop(make_ctx(world.school), t)
    assert result.state == "dropped" and result.learner_no == t.learner_no
    assert active(session, "C001") == 0 and enrolled(session, "C001") == 0
    assert fetch(session, select(Enrollment.state)) == ["dropped"]
    assert fetch(session, select(Enrollment.dropped_by)) == [world.school.account_id]
    # selecting again after a drop is a new enrollment, not a duplicate
    assert add(make_ctx(world.school), teachers=[t]).created == 1


def test_after_the_window_a_school_can_no_longer_drop(world: World, make_ctx: Any) -> None:
    t = _enroll_one(world, make_ctx)
    with pytest.raises(SelectionWindowClosed) as err:
        drop(make_ctx(world.school, now=AFTER_WINDOW), t)
    assert "培训机构" in (err.value.hint or "")


def test_after_the_window_the_courses_institution_or_the_city_drops(
    world: World, session: Session, make_ctx: Any
) -> None:
    t = _enroll_one(world, make_ctx, "INST")
    with pytest.raises(PermissionDenied):
        _enroll_one(world, make_ctx, "C002")
        drop(make_ctx(world.institution, now=AFTER_WINDOW), t, "C002")
    assert drop(make_ctx(world.institution, now=AFTER_WINDOW), t, "INST").state == "dropped"
    assert drop(make_ctx(world.city, now=AFTER_WINDOW), t, "C002").state == "dropped"


def test_a_paid_enrollment_cannot_be_dropped(world: World, session: Session, make_ctx: Any) -> None:
    t = _enroll_one(world, make_ctx)
    session.execute(update(Enrollment).values(paid=True))
    session.commit()
    with pytest.raises(Conflict, match="已缴费"):
        drop(make_ctx(world.city), t)


def test_dropping_what_was_never_selected_is_not_found(world: World, make_ctx: Any) -> None:
    with pytest.raises(NotFound, match="没有选"):
        drop(make_ctx(world.school), world.teachers[0])
    t = _enroll_one(world, make_ctx)
    drop(make_ctx(world.school), t)
    with pytest.raises(Conflict, match="已删除"):
        drop(make_ctx(world.school), t)


def test_a_school_cannot_drop_for_another_school(world: World, make_ctx: Any) -> None:
    t = _enroll_one(world, make_ctx)
    with pytest.raises(PermissionDenied):
        drop(make_ctx(world.other_school), t)


def test_a_teacher_drops_their_own_course_inside_the_window_only(
    world: World, session: Session, make_ctx: Any
) -> None:
    t = _enroll_one(world, make_ctx)
    me = teacher_actor(session, t)
    with pytest.raises(SelectionWindowClosed):
        enrollment.drop_own_enrollment(
            make_ctx(me, now=AFTER_WINDOW), course_code="C001", period="2601"
        )
    result = enrollment.drop_own_enrollment(make_ctx(me), course_code="C001")
    assert result.state == "dropped" and enrolled(session, "C001") == 0


# --- list, export, stats ----------------------------------------------------------------------


def _some_enrollments(world: World, make_ctx: Any) -> None:
    add(make_ctx(world.city), teachers=world.teachers[:3])
    add(
        make_ctx(world.city),
        course="INST",
        teachers=[world.teachers[0], world.neighbour, world.far],
    )


def test_enroll_list_shows_the_actors_scope_only(world: World, make_ctx: Any) -> None:
    _some_enrollments(world, make_ctx)
    views, total = enrollment.list_enrollments(make_ctx(world.school), period="2601")
    assert total == 4 and {v.school_code for v in views} == {"4401040001"}
    _, total = enrollment.list_enrollments(make_ctx(world.district), period="2601")
    assert total == 5
    _, total = enrollment.list_enrollments(make_ctx(world.city), period="2601")
    assert total == 6
    inst, total = enrollment.list_enrollments(make_ctx(world.institution), period="2601")
    assert total == 3 and {v.course_code for v in inst} == {"INST"}


def test_enroll_list_filters_and_carries_money_as_text(world: World, make_ctx: Any) -> None:
    _some_enrollments(world, make_ctx)
    views, total = enrollment.list_enrollments(
        make_ctx(world.city),
        period="2601",
        filters=EnrollmentFilter(course="INST", school="4401050001"),
    )
    assert total == 1
    v = views[0]
    assert (v.learner_no, v.course_code, v.state, v.paid) == (
        world.far.learner_no,
        "INST",
        "active",
        False,
    )
    assert (v.fee, v.material_fee, v.amount) == ("50.00", "8.00", "58.00")
    with pytest.raises(InvalidValue):
        enrollment.list_enrollments(
            make_ctx(world.city), period="2601", filters=EnrollmentFilter(state="gone")
        )


def test_exporting_enrollments_needs_sms_verification(world: World, make_ctx: Any) -> None:
    _some_enrollments(world, make_ctx)
    with pytest.raises(VerificationRequired, match="短信验证"):
        enrollment.export_enrollments(make_ctx(world.city), period="2601")
    verified = Actor(
        world.city.account_id, world.city.username, "city", "市", verified_until=AFTER_WINDOW
    )
    assert len(list(enrollment.export_enrollments(make_ctx(verified), period="2601"))) == 6


def test_stats_count_enrollments_per_course_school_and_district(
    world: World, make_ctx: Any
) -> None:
    _some_enrollments(world, make_ctx)
    by_course = enrollment.enrollment_stats(make_ctx(world.city), period="2601", by="course")
    assert [(r.key, r.enrollments, r.amount) for r in by_course.rows] == [
        ("C001", 3, "360.00"),
        ("INST", 3, "174.00"),
    ]
    assert (by_course.enrollments, by_course.teachers, by_course.amount) == (6, None, "534.00")
    by_school = enrollment.enrollment_stats(make_ctx(world.city), period="2601", by="school")
    assert [(r.key, r.enrollments, r.teachers) for r in by_school.rows] == [
        ("4401040001", 4, 3),
        ("4401040002", 1, 1),
        ("4401050001", 1, 1),
    ]
    assert (by_school.enrollments, by_school.teachers, by_school.amount) == (6, 5, "534.00")
    by_district = enrollment.enrollment_stats(make_ctx(world.city), period="2601", by="district")
    assert [(r.key, r.name, r.enrollments, r.detail["schools"]) for r in by_district.rows] == [
        ("440104", "越秀区", 5, 2),
        ("440105", "海珠区", 1, 1),
    ]
    mine = enrollment.enrollment_stats(make_ctx(world.school), period="2601", by="course")
    assert [(r.key, r.enrollments) for r in mine.rows] == [("C001", 3), ("INST", 1)]


def test_stats_reject_an_unknown_dimension(world: World, make_ctx: Any) -> None:
    with pytest.raises(InputRejected):
        enrollment.enrollment_stats(make_ctx(world.city), period="2601", by="teacher")
