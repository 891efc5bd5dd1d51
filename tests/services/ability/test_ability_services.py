"""能力提升工程 services on SQLite and PostgreSQL: pilots, the assessment (answer sheets good
and nasty), recommendations, confirming at 50 学时, the required courses never dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import (
    Conflict,
    InputRejected,
    InvalidValue,
    NotFound,
    PermissionDenied,
)
from jjadmin.importers.ability import ASSESS_IMPORT
from jjadmin.importers.common import run_import_kind
from jjadmin.models import (
    AbilityAssessment,
    AbilityConfig,
    AbilitySelection,
    AuditLog,
    Course,
    Enrollment,
)
from jjadmin.services import ability, enrollment
from jjadmin.services.enrollment.common import SelectionWindowClosed
from jjadmin.services.results import ImportOptions, ImportReport
from tests.factories import make_account
from tests.helpers_ability import (
    WEAK_ASSESSMENT,
    AbilityWorld,
    ability_world,
    answer_rows,
    answer_sheet,
    school_admin,
)
from tests.services.test_enrollments import teacher_actor

AFTER_WINDOW = "2026-04-02T10:00:00+08:00"


@pytest.fixture
def world(session: Session) -> AbilityWorld:
    return ability_world(session)


@pytest.fixture
def me(session: Session, world: AbilityWorld) -> Any:
    return teacher_actor(session, world.teacher)


def assess(
    ctx: Any, path: Path, *, learner_no: str | None = None, confirm: bool = True
) -> ImportReport:
    return run_import_kind(
        ctx,
        ASSESS_IMPORT,
        path,
        options=ImportOptions(False, False),
        period="2601",
        learner_no=learner_no,
        confirm=confirm,
    ).report


def read(session: Session, stmt: Any) -> Any:
    """One value, the arranging session's transaction ended (the services' own may begin)."""
    session.expire_all()
    value = session.execute(stmt).scalar_one()
    session.rollback()
    return value


def attempts(session: Session) -> int:
    return int(read(session, select(func.count()).select_from(AbilityAssessment)))


def active(session: Session, code: str) -> int:
    return int(
        read(
            session,
            select(func.count())
            .select_from(Enrollment)
            .join(Course, col(Course.id) == col(Enrollment.course_id))
            .where(col(Course.code) == code, col(Enrollment.state) == "active"),
        )
    )


def seats(session: Session, code: str) -> int:
    return int(read(session, select(Course.enrolled).where(col(Course.code) == code)))


# --- pilots -----------------------------------------------------------------------------------


def test_the_city_configures_pilots_per_period(session: Session, make_ctx: Any) -> None:
    ability_world(session, pilot=False)
    city = make_account(session, "city")
    session.commit()
    view = ability.configure_pilot(
        make_ctx(city), period="2601", districts="440103,海珠区,440104", subjects="英语,物理"
    )
    assert [d["code"] for d in view.districts] == ["440103", "440105", "440104"]
    assert (view.subjects, view.pilots) == (["英语", "物理"], 6)
    again = ability.configure_pilot(
        make_ctx(city), period="2601", districts=["440104"], subjects=["英语"]
    )
    assert again.pilots == 1
    assert ability.show_pilot(make_ctx(city), period="2601").districts == [
        {"code": "440104", "name": "越秀区"}
    ]
    actions = session.execute(select(AuditLog.action)).scalars().all()
    session.rollback()
    assert actions.count("ability.config") == 2


def test_only_the_city_configures_and_values_are_checked(
    world: AbilityWorld, session: Session, make_ctx: Any
) -> None:
    district = make_account(session, "district", district="440104")
    city = make_account(session, "city")
    session.commit()
    with pytest.raises(PermissionDenied):
        ability.configure_pilot(
            make_ctx(district), period="2601", districts="440104", subjects="英语"
        )
    with pytest.raises(InvalidValue, match="区代码"):
        ability.configure_pilot(make_ctx(city), period="2601", districts="999999", subjects="英语")
    with pytest.raises(InvalidValue, match="任教学科"):
        ability.configure_pilot(
            make_ctx(city), period="2601", districts="440104", subjects="英语,火星语"
        )
    with pytest.raises(NotFound):
        ability.configure_pilot(make_ctx(city), period="2699", districts="440104", subjects="英语")
    session.execute(delete(AbilityConfig))
    session.commit()
    with pytest.raises(NotFound, match="未设置"):
        ability.show_pilot(make_ctx(city), period="2601")


# --- assessment -------------------------------------------------------------------------------


def test_assess_scores_every_dimension_and_names_the_weakest_as_topic(
    world: AbilityWorld, me: Any, make_ctx: Any, tmp_path: Path, session: Session
) -> None:
    report = assess(make_ctx(me), answer_sheet(tmp_path / "a.xlsx"), confirm=False)
    assert report.ok
    assert report.extra["assessment"] == {
        "attempt": 1,
        "attempts_left": 2,
        "scores": {
            "技术素养": 16,
            "计划与准备": 16,
            "组织与管理": 16,
            "评估与诊断": 4,
            "学习与发展": 16,
        },
        "topic": "评估与诊断",
    }
    row = session.execute(select(AbilityAssessment)).scalar_one()
    session.rollback()
    assert (row.confirmed, row.answers["13"], row.result["topic"]) == (False, "A", "评估与诊断")


def test_a_tie_goes_to_the_dimension_the_standard_names_first(
    world: AbilityWorld, me: Any, make_ctx: Any, tmp_path: Path
) -> None:
    flat = dict.fromkeys(WEAK_ASSESSMENT, "b")  # lower case accepted
    report = assess(make_ctx(me), answer_sheet(tmp_path / "a.xlsx", answer_rows(flat)))
    assert report.extra["assessment"]["topic"] == "技术素养"
    assert set(report.extra["assessment"]["scores"].values()) == {8}


def test_at_most_three_attempts_and_the_last_confirmed_counts(
    world: AbilityWorld, me: Any, make_ctx: Any, tmp_path: Path, session: Session
) -> None:
    sheet = answer_sheet(tmp_path / "a.xlsx")
    flat = answer_sheet(tmp_path / "b.xlsx", answer_rows(dict.fromkeys(WEAK_ASSESSMENT, "C")))
    assess(make_ctx(me), sheet, confirm=True)  # 评估与诊断
    assess(make_ctx(me), flat, confirm=True)  # 技术素养 (tie)
    third = assess(make_ctx(me), sheet, confirm=False)  # not confirmed: does not count
    assert third.extra["assessment"]["attempts_left"] == 0
    with pytest.raises(Conflict, match="已达 3 次"):
        assess(make_ctx(me), sheet)
    assert attempts(session) == 3
    view = ability.recommend_courses(make_ctx(me), period="2601")
    assert view.topic == "技术素养"
    # confirming the third afterwards makes it the one that counts
    confirmed = ability.confirm_last_attempt(make_ctx(me), period="2601")
    assert (confirmed["attempt"], confirmed["topic"]) == (3, "评估与诊断")
    assert ability.recommend_courses(make_ctx(me), period="2601").topic == "评估与诊断"


@pytest.mark.parametrize(
    ("who", "error", "match"),
    [
        ("math_teacher", Conflict, "不是能力提升工程试点教师"),
        ("elsewhere", Conflict, "试点区：440104"),
    ],
)
def test_only_a_teacher_of_a_pilot_district_and_subject_is_assessed(
    who: str,
    error: type[Exception],
    match: str,
    world: AbilityWorld,
    session: Session,
    make_ctx: Any,
    tmp_path: Path,
) -> None:
    actor = teacher_actor(session, getattr(world, who))
    with pytest.raises(error, match=match):
        assess(make_ctx(actor), answer_sheet(tmp_path / "a.xlsx"))
    assert attempts(session) == 0


def test_no_pilot_configured_refuses_everyone(
    session: Session, make_ctx: Any, tmp_path: Path
) -> None:
    w = ability_world(session, pilot=False)
    with pytest.raises(Conflict, match="未设置能力提升工程试点"):
        assess(make_ctx(teacher_actor(session, w.teacher)), answer_sheet(tmp_path / "a.xlsx"))


def test_an_administrator_in_scope_assesses_for_a_teacher(
    world: AbilityWorld, session: Session, make_ctx: Any, tmp_path: Path
) -> None:
    own = school_admin(session, world.school)
    other = school_admin(session, world.other_school)
    sheet = answer_sheet(tmp_path / "a.xlsx")
    report = assess(make_ctx(own), sheet, learner_no=world.teacher.learner_no)
    assert report.extra["assessment"]["attempt"] == 1
    with pytest.raises(PermissionDenied):
        assess(make_ctx(other), sheet, learner_no=world.teacher.learner_no)
    with pytest.raises(PermissionDenied, match="请指定学号"):
        assess(make_ctx(own), sheet)
    me = teacher_actor(session, world.teacher)
    with pytest.raises(PermissionDenied, match="只能为本人"):
        assess(make_ctx(me), sheet, learner_no=world.math_teacher.learner_no)


def _nasty(rows: list[list[Any]], n: int, value: Any, col_: int = 2) -> list[list[Any]]:
    rows[n - 1][col_] = value
    return rows


NASTY = {
    "answer E": (lambda: _nasty(answer_rows(), 3, "E"), [(4, "答案", "E")]),
    "answer blank": (lambda: _nasty(answer_rows(), 5, None), [(6, "答案", None)]),
    "answer two letters": (lambda: _nasty(answer_rows(), 1, "AB"), [(2, "答案", "AB")]),
    "answer a number": (lambda: _nasty(answer_rows(), 2, 3), [(3, "答案", "3")]),
    "item 21": (lambda: _nasty(answer_rows(), 20, 21, 0), [(21, "题号", "21"), (1, "题号", "20")]),
    "item text": (lambda: _nasty(answer_rows(), 7, "七", 0), [(8, "题号", "七"), (1, "题号", "7")]),
    "duplicate item": (
        lambda: _nasty(answer_rows(), 2, 1, 0),
        [(3, "题号", "1"), (1, "题号", "2")],
    ),
    "missing row": (lambda: answer_rows()[:-1], [(1, "题号", "20")]),
    "empty sheet": (lambda: [], [(1, "题号", str(n)) for n in range(1, 21)]),
}


@pytest.mark.parametrize("case", list(NASTY), ids=list(NASTY))
def test_a_nasty_answer_sheet_is_judged_row_by_row_and_nothing_is_recorded(
    case: str, world: AbilityWorld, me: Any, make_ctx: Any, tmp_path: Path, session: Session
) -> None:
    build, expected = NASTY[case]
    report = assess(make_ctx(me), answer_sheet(tmp_path / "a.xlsx", build()))
    assert not report.ok
    got = {(i.row, i.column, i.value) for i in report.issues}
    assert set(expected) <= got, report.issues
    assert all(i.message for i in report.issues)
    assert "assessment" not in report.extra
    assert attempts(session) == 0


def test_a_sheet_without_the_answer_column_is_a_schema_error(
    world: AbilityWorld, me: Any, make_ctx: Any, tmp_path: Path, session: Session
) -> None:
    path = answer_sheet(tmp_path / "a.xlsx", [[i, "x"] for i in range(1, 21)], ("题号", "题目"))
    report = assess(make_ctx(me), path)
    assert not report.ok and {i.column for i in report.issues} == {"答案"}
    assert attempts(session) == 0


# --- recommendation and confirmation ----------------------------------------------------------


def assessed(make_ctx: Any, me: Any, tmp_path: Path) -> None:
    assess(make_ctx(me), answer_sheet(tmp_path / "assessed.xlsx"), confirm=True)


def test_recommend_needs_a_confirmed_assessment(
    world: AbilityWorld, me: Any, make_ctx: Any, tmp_path: Path
) -> None:
    with pytest.raises(Conflict, match="尚未确认诊断测评"):
        ability.recommend_courses(make_ctx(me), period="2601")
    assess(make_ctx(me), answer_sheet(tmp_path / "a.xlsx"), confirm=False)
    with pytest.raises(Conflict, match="尚未确认诊断测评"):
        ability.recommend_courses(make_ctx(me), period="2601")


def test_recommend_picks_the_three_required_courses_and_lists_electives(
    world: AbilityWorld, me: Any, make_ctx: Any, tmp_path: Path
) -> None:
    assessed(make_ctx, me, tmp_path)
    view = ability.recommend_courses(make_ctx(me), period="2601")
    assert [(p.course_code, p.category, p.hours) for p in view.required] == [
        ("TS-G1", "通识必修", "8"),
        ("TS-P2", "专业必修", "18"),  # 英语 初中 and the topic's dimension (评估与诊断)
        ("TS-S1", "校本研修", "16"),
    ]
    assert view.total_required == "42"
    assert "评估与诊断" in view.required[1].reason
    # electives open to an 英语 teacher, the topic's first; the full one left out
    assert [p.course_code for p in view.electives] == ["TS-E1", "TS-E2", "TS-E3"]
    assert all(p.reason for p in view.required + view.electives)


def test_confirm_below_50_hours_names_the_missing_hours_and_writes_nothing(
    world: AbilityWorld, me: Any, make_ctx: Any, tmp_path: Path, session: Session
) -> None:
    assessed(make_ctx, me, tmp_path)
    with pytest.raises(InputRejected, match="还差 4 学时") as raised:
        ability.confirm_selection(make_ctx(me), period="2601", electives=["TS-E1"])
    assert raised.value.data["missing_hours"] == "4"
    with pytest.raises(InputRejected, match="还差 8 学时"):
        ability.confirm_selection(make_ctx(me), period="2601", electives=[])
    assert active(session, "TS-G1") == 0


def test_confirm_at_50_hours_enrolls_through_the_writer_and_changes_electives_only(
    world: AbilityWorld, me: Any, make_ctx: Any, tmp_path: Path, session: Session
) -> None:
    assessed(make_ctx, me, tmp_path)
    result = ability.confirm_selection(make_ctx(me), period="2601", electives=["TS-E1,TS-E2"])
    assert result.total_hours == "50" and result.created == 5
    assert [c.course_code for c in result.courses] == ["TS-G1", "TS-P2", "TS-S1", "TS-E1", "TS-E2"]
    assert seats(session, "TS-E1") == 1
    assert set(session.execute(select(Enrollment.source)).scalars()) == {"ability"}
    session.rollback()
    # change the electives inside the window: E2 out, E3 in
    again = ability.confirm_selection(make_ctx(me), period="2601", electives=["TS-E1", "TS-E3"])
    assert (again.created, again.dropped, again.total_hours) == (1, 1, "54")
    assert (active(session, "TS-E2"), active(session, "TS-E3"), active(session, "TS-G1")) == (
        0,
        1,
        1,
    )
    assert seats(session, "TS-E2") == 0
    states = dict(
        session.execute(
            select(Course.code, AbilitySelection.state).join(
                Course, col(Course.id) == col(AbilitySelection.course_id)
            )
        ).all()
    )
    session.rollback()
    assert states["TS-E2"] == "dropped" and states["TS-P2"] == "active"
    view = ability.recommend_courses(make_ctx(me), period="2601")
    assert view.confirmed and all(p.selected for p in view.required)
    same = ability.confirm_selection(make_ctx(me), period="2601", electives=["TS-E3,TS-E1"])
    assert (same.created, same.dropped, same.total_hours) == (0, 0, "54")
    actions = session.execute(select(AuditLog.action)).scalars().all()
    session.rollback()
    assert (actions.count("ability.assess"), actions.count("ability.confirm")) == (1, 2)
    # the assessment is settled once courses are confirmed
    with pytest.raises(Conflict, match="已确认"):
        assess(make_ctx(me), answer_sheet(tmp_path / "b.xlsx"))


def test_the_required_courses_are_never_dropped_electives_are_inside_the_window(
    world: AbilityWorld, me: Any, make_ctx: Any, tmp_path: Path, session: Session
) -> None:
    ln = world.teacher.learner_no
    session.rollback()  # sqlite:// shares one connection: no transaction left open here
    assessed(make_ctx, me, tmp_path)
    ability.confirm_selection(make_ctx(me), period="2601", electives=["TS-E3"])
    with pytest.raises(Conflict, match="不能删除"):
        enrollment.drop_own_enrollment(make_ctx(me), course_code="TS-P2", period="2601")
    city = make_account(session, "city")
    session.commit()
    with pytest.raises(Conflict, match="3 门必修课程之一"):
        enrollment.drop_enrollment(
            make_ctx(city),
            period="2601",
            learner_no=ln,
            course_code="TS-G1",
        )
    # a school admin may drop an elective inside the window (seed: 协助学员删除)
    admin = school_admin(session, world.school)
    enrollment.drop_enrollment(make_ctx(admin), period="2601", learner_no=ln, course_code="TS-E3")
    assert active(session, "TS-E3") == 0 and active(session, "TS-G1") == 1
    # … but never add one: confirming is the teacher's own
    with pytest.raises(PermissionDenied):
        ability.confirm_selection(
            make_ctx(admin), period="2601", electives=["TS-E3"], learner_no=ln
        )
    # electives change only inside the window
    with pytest.raises(SelectionWindowClosed):
        ability.confirm_selection(
            make_ctx(me, now=_at(AFTER_WINDOW)), period="2601", electives=["TS-E3"]
        )


def test_an_ability_course_is_never_chosen_through_plain_me_enroll(
    world: AbilityWorld, me: Any, make_ctx: Any, session: Session
) -> None:
    with pytest.raises(Conflict, match="诊断测评") as raised:
        enrollment.enroll_self(make_ctx(me), course_codes=["TS-E1"], period="2601")
    assert "ability confirm" in (raised.value.hint or "")
    assert active(session, "TS-E1") == 0


def test_confirm_refuses_a_non_elective_an_unknown_and_a_full_course(
    world: AbilityWorld, me: Any, make_ctx: Any, tmp_path: Path, session: Session
) -> None:
    assessed(make_ctx, me, tmp_path)
    with pytest.raises(InputRejected, match="不是任意选修"):
        ability.confirm_selection(make_ctx(me), period="2601", electives=["TS-P1", "TS-E3"])
    with pytest.raises(InputRejected, match="TS-NOPE"):
        ability.confirm_selection(make_ctx(me), period="2601", electives=["TS-NOPE", "TS-E3"])
    with pytest.raises(InputRejected, match="名额"):
        ability.confirm_selection(make_ctx(me), period="2601", electives=["TS-EF"])
    assert active(session, "TS-G1") == 0


def _at(iso: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(iso)
