"""services.periods on every backend: create, list, show, get, the current period."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, InvalidValue, NotFound, PermissionDenied
from jjadmin.models import AuditLog, Enrollment, Period
from jjadmin.services import periods
from tests.conftest import CtxFactory
from tests.factories import NOW, make_account, make_school, make_teacher
from tests.helpers_courses import make_course, make_period


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_city_creates_a_period_with_bare_dates_covering_whole_days(
    session: Session, make_ctx: CtxFactory
) -> None:
    city = make_account(session, "city")
    session.commit()
    view = periods.create_period(
        make_ctx(city),
        code="2601",
        select_from="2026-03-01",
        select_to="2026-03-31",
        pay_by="2026-04-15",
    )
    assert view.period == "2601"
    assert view.select_from == at("2026-03-01T00:00:00+08:00")
    assert view.select_to == at("2026-03-31T23:59:59+08:00")
    assert view.pay_by == at("2026-04-15T23:59:59+08:00")
    assert (view.state, view.state_label) == ("selecting", "选课中")
    stored = session.get(Period, "2601")
    assert stored is not None and stored.created_by == city.account_id
    assert stored.select_to == at("2026-03-31T23:59:59+08:00")
    audit = session.execute(select(AuditLog).where(AuditLog.action == "period.create")).scalar_one()
    assert audit.target == "2601" and audit.actor == city.username


def test_create_accepts_full_iso_datetimes(session: Session, make_ctx: CtxFactory) -> None:
    city = make_account(session, "city")
    session.commit()
    view = periods.create_period(
        make_ctx(city),
        code="2602",
        select_from="2026-09-01T09:00:00+08:00",
        select_to="2026-09-20T17:00:00+08:00",
        pay_by="2026-10-10T17:00:00+08:00",
    )
    assert view.select_from == at("2026-09-01T09:00:00+08:00")
    assert view.state == "before_selection"


@pytest.mark.parametrize("role", ["district", "school", "institution", "system"])
def test_only_the_city_creates_periods(role: str, session: Session, make_ctx: CtxFactory) -> None:
    school = make_school(session) if role == "school" else None
    actor = make_account(
        session,
        role,
        school=school,
        district="440104" if role == "district" else None,
        institution="广州市广播电视大学" if role == "institution" else None,
    )
    session.commit()
    with pytest.raises(PermissionDenied, match="无权创建期数"):
        periods.create_period(
            make_ctx(actor),
            code="2601",
            select_from="2026-03-01",
            select_to="2026-03-31",
            pay_by="2026-04-15",
        )


def test_a_duplicate_period_is_a_conflict(session: Session, make_ctx: CtxFactory) -> None:
    city = make_account(session, "city")
    make_period(session, "2601")
    session.commit()
    with pytest.raises(Conflict, match="期数 2601 已存在"):
        periods.create_period(
            make_ctx(city),
            code="2601",
            select_from="2026-03-01",
            select_to="2026-03-31",
            pay_by="2026-04-15",
        )


@pytest.mark.parametrize("code", ["26", "260", "abcd", "26011", "2600", "26-3"])
def test_a_malformed_period_code_is_rejected(
    code: str, session: Session, make_ctx: CtxFactory
) -> None:
    city = make_account(session, "city")
    session.commit()
    with pytest.raises(InvalidValue, match="YYNN"):
        periods.create_period(
            make_ctx(city),
            code=code,
            select_from="2026-03-01",
            select_to="2026-03-31",
            pay_by="2026-04-15",
        )


@pytest.mark.parametrize(
    ("select_from", "select_to", "pay_by", "message"),
    [
        ("2026-03-31", "2026-03-01", "2026-04-15", "必须晚于选课开始时间"),
        ("2026-03-01", "2026-03-31", "2026-03-30", "不能早于选课结束时间"),
        ("2026-03-01", "三月底", "2026-04-15", "选课结束时间“三月底”无效"),
    ],
)
def test_reversed_or_unreadable_dates_are_rejected_and_nothing_is_stored(
    select_from: str,
    select_to: str,
    pay_by: str,
    message: str,
    session: Session,
    make_ctx: CtxFactory,
) -> None:
    city = make_account(session, "city")
    session.commit()
    with pytest.raises(InvalidValue, match=message):
        periods.create_period(
            make_ctx(city),
            code="2601",
            select_from=select_from,
            select_to=select_to,
            pay_by=pay_by,
        )
    assert session.get(Period, "2601") is None


def test_list_shows_every_period_newest_first_with_state_from_the_clock(
    session: Session, make_ctx: CtxFactory
) -> None:
    make_period(
        session,
        "2502",
        select_from=at("2025-09-01T00:00:00+08:00"),
        select_to=at("2025-09-30T23:59:59+08:00"),
        pay_by=at("2025-10-15T23:59:59+08:00"),
    )
    make_period(session, "2601")
    make_period(
        session,
        "2602",
        select_from=at("2026-09-01T00:00:00+08:00"),
        select_to=at("2026-09-30T23:59:59+08:00"),
        pay_by=at("2026-10-15T23:59:59+08:00"),
    )
    school = make_school(session)
    admin = make_account(session, "school", school=school)
    session.commit()
    views, total = periods.list_periods(make_ctx(admin))
    assert total == 3
    assert [(v.period, v.state) for v in views] == [
        ("2602", "before_selection"),
        ("2601", "selecting"),
        ("2502", "payment_closed"),
    ]
    later, _ = periods.list_periods(make_ctx(admin, now=at("2026-04-02T08:00:00+08:00")))
    assert later[1].state_label == "选课已结束"


def test_show_counts_the_courses_and_active_enrollments_the_actor_may_see(
    session: Session, make_ctx: CtxFactory
) -> None:
    period = make_period(session, "2601")
    mine = make_school(session, district="440104")
    other = make_school(session, district="440105")
    make_course(session, period, "QY001")
    make_course(session, period, "QJ104", level="区级培训", district="440104")
    make_course(session, period, "QJ105", level="区级培训", district="440105")
    c = make_course(session, period, "XB-OTHER", level="校本培训", school=other)
    for school, state in ((mine, "active"), (other, "active"), (mine, "dropped")):
        t = make_teacher(session, school)
        session.add(
            Enrollment(
                period="2601",
                course_id=c.id or 0,
                teacher_id=t.id or 0,
                school_id=school.id or 0,
                state=state,
                created_at=NOW,
            )
        )
    city = make_account(session, "city")
    admin = make_account(session, "school", school=mine)
    session.commit()
    everything = periods.show_period(make_ctx(city), code="2601")
    assert (everything.courses, everything.enrollments) == (4, 2)
    own = periods.show_period(make_ctx(admin), code="2601")
    assert (own.courses, own.enrollments) == (2, 1)


def test_show_of_an_unknown_period_is_not_found(session: Session, make_ctx: CtxFactory) -> None:
    city = make_account(session, "city")
    session.commit()
    with pytest.raises(NotFound, match="期数不存在：2702"):
        periods.show_period(make_ctx(city), code="2702")
    with pytest.raises(InvalidValue):
        periods.show_period(make_ctx(city), code="26-1")


def test_get_period_returns_the_row_or_raises_not_found(session: Session) -> None:
    make_period(session, "2601")
    session.commit()
    assert periods.get_period(session, "2601").code == "2601"
    with pytest.raises(NotFound):
        periods.get_period(session, "2602")


def test_current_period_is_the_open_one_else_the_latest_begun_else_none(
    session: Session,
) -> None:
    assert periods.current_period_code(session, NOW) is None
    make_period(session, "2601")
    make_period(
        session,
        "2602",
        select_from=at("2026-09-01T00:00:00+08:00"),
        select_to=at("2026-09-30T23:59:59+08:00"),
        pay_by=at("2026-10-15T23:59:59+08:00"),
    )
    session.commit()
    assert periods.current_period_code(session, at("2026-02-01T00:00:00+08:00")) is None
    assert periods.current_period_code(session, NOW) == "2601"
    assert periods.current_period_code(session, at("2026-07-01T00:00:00+08:00")) == "2601"
    assert periods.current_period_code(session, at("2026-09-15T00:00:00+08:00")) == "2602"
    assert periods.current_period_code(session, at("2027-05-01T00:00:00+08:00")) == "2602"
