"""期数结算 (`period close`): who becomes a special user, once, after the deadline (SPEC §6
Period; seed 特殊用户), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, InputRejected, PermissionDenied
from jjadmin.models import AuditLog, Period
from jjadmin.services.billing import bills, clearing, close, payments
from tests.conftest import CtxFactory
from tests.helpers_billing import (
    AFTER_DEADLINE,
    AFTER_SELECTION,
    NEXT_DEADLINE,
    TV,
    YUEXIU,
    City,
    bills_by_key,
    build_city,
    flags,
    next_period_debt,
)


@pytest.fixture
def city(session: Session, make_ctx: CtxFactory) -> City:
    c = build_city(session)
    bills.generate_bills(make_ctx(c.city, now=AFTER_SELECTION), period="2601")
    return c


def run(make_ctx: CtxFactory, actor: object, **kw: object) -> close.CloseResult:
    return close.close_period(make_ctx(actor, now=AFTER_DEADLINE), period="2601", **kw)  # type: ignore[arg-type]


def ids(c: City, *keys: tuple[str, str]) -> list[int]:
    return sorted(c.enrollments[k].id or 0 for k in keys)


def test_after_the_deadline_every_teacher_with_an_unpaid_city_level_enrollment_is_flagged(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    r = run(make_ctx, city.system)
    assert (r.flagged, r.already_flagged, r.enrollments) == (3, 0, 5)
    got = {(f.teacher_id, f.period, f.level): sorted(f.enrollment_ids) for f in flags(session)}
    assert got == {
        (city.t1.id, "2601", "全员培训"): ids(city, ("张一", "C1"), ("张一", "C2")),
        (city.t2.id, "2601", "全员培训"): ids(city, ("李二", "C1")),
        (city.t3.id, "2601", "全员培训"): ids(city, ("王三", "C1"), ("王三", "C2")),
    }
    assert {f.occurrence for f in flags(session)} == {1}


def test_paid_dropped_and_free_enrollments_never_flag_anyone(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    payments.pay_bill(
        make_ctx(city.city, now=AFTER_SELECTION),
        bill_no=bills_by_key(session)[("4401040001", TV)].bill_no,
        receipt_no="R1",
    )
    e = city.enrollments[("王三", "C2")]
    e.state = "dropped"
    session.add(e)
    session.commit()
    r = run(make_ctx, city.city)
    assert (r.flagged, r.enrollments) == (1, 1)
    (only,) = flags(session)
    assert (only.teacher_id, only.enrollment_ids) == (city.t3.id, ids(city, ("王三", "C1")))


def test_closing_before_the_payment_deadline_is_refused(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    with pytest.raises(Conflict, match="缴费截止时间（2026-04-15 23:59）未到"):
        close.close_period(make_ctx(city.city, now=AFTER_SELECTION), period="2601")
    assert flags(session) == []


def test_a_second_close_flags_nothing_new(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    run(make_ctx, city.city)
    again = run(make_ctx, city.system)
    assert (again.flagged, again.already_flagged, again.enrollments) == (0, 3, 0)
    assert len(flags(session)) == 3


def test_a_dry_run_counts_and_writes_nothing(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    r = run(make_ctx, city.city, dry_run=True)
    assert (r.flagged, r.enrollments, r.dry_run) == (3, 5, True)
    assert flags(session) == []
    period = session.get(Period, "2601")
    session.commit()
    assert period is not None and period.last_closed_at is None


def test_every_flag_is_audited_and_the_close_records_when_it_ran(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    run(make_ctx, city.city)
    rows = (
        session.execute(
            select(AuditLog).where(AuditLog.action.in_(["special_user.flag", "period.close"]))  # type: ignore[attr-defined]
        )
        .scalars()
        .all()
    )
    period = session.get(Period, "2601")
    session.commit()
    flagged = sorted(r.target for r in rows if r.action == "special_user.flag")
    assert flagged == sorted([city.t1.learner_no, city.t2.learner_no, city.t3.learner_no])
    one = next(r for r in rows if r.target == city.t2.learner_no)
    assert one.after == {
        "period": "2601",
        "level": "全员培训",
        "occurrence": 1,
        "enrollments": ids(city, ("李二", "C1")),
    }
    summary = next(r for r in rows if r.action == "period.close")
    assert summary.after is not None and summary.after["flagged"] == 3
    assert period is not None and period.last_closed_at == AFTER_DEADLINE


def test_a_district_closes_its_own_district_level_courses(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    r = run(make_ctx, city.dist_a, level="区级培训")
    assert (r.flagged, r.enrollments, r.district_code) == (1, 1, YUEXIU)
    (flag,) = flags(session)
    assert (flag.teacher_id, flag.level, flag.district_code) == (city.t1.id, "区级培训", YUEXIU)
    assert run(make_ctx, city.dist_b, level="区级培训").flagged == 0
    city_run = run(make_ctx, city.city)
    assert city_run.flagged == 3  # the city-level flag of 张一 is a second, separate record


def test_a_district_cannot_close_the_city_level_training(city: City, make_ctx: CtxFactory) -> None:
    with pytest.raises(PermissionDenied, match="市级培训中心"):
        run(make_ctx, city.dist_a)
    with pytest.raises(PermissionDenied):
        run(make_ctx, city.dist_a, level="区级培训", district="440106")
    with pytest.raises(PermissionDenied):
        run(make_ctx, city.admin_a1)


def test_an_unknown_level_is_refused(city: City, make_ctx: CtxFactory) -> None:
    with pytest.raises(InputRejected, match="未知的培训级别"):
        run(make_ctx, city.city, level="校本培训")


def test_the_occurrence_counts_the_periods_a_teacher_was_flagged_in(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    run(make_ctx, city.dist_a, level="区级培训")
    run(make_ctx, city.city)
    clearing.clear_special_user(
        make_ctx(city.city, now=AFTER_DEADLINE), learner_no=city.t1.learner_no, evidence="本人持证"
    )
    next_period_debt(session, city.t1)
    r = close.close_period(make_ctx(city.city, now=NEXT_DEADLINE), period="2602")
    assert (r.flagged, r.enrollments) == (1, 1)
    mine = [f for f in flags(session) if f.teacher_id == city.t1.id]
    assert [(f.period, f.level, f.occurrence) for f in mine] == [
        ("2601", "区级培训", 1),
        ("2601", "全员培训", 1),  # the same period: the same time
        ("2602", "全员培训", 2),
    ]
