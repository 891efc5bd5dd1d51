"""账单: generation from the unpaid enrollments, regeneration, scope of list/show, notices
(SPEC §6 Bill; seed 缴费管理), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, NotFound, PermissionDenied
from jjadmin.models import AuditLog, Bill
from jjadmin.services.billing import bills, notices, payments
from tests.conftest import CtxFactory
from tests.helpers_billing import (
    AFTER_SELECTION,
    SELECTING,
    TV,
    YX_CENTRE,
    City,
    bills_by_key,
    build_city,
)
from tests.helpers_courses import make_course
from tests.helpers_transfers import enroll


@pytest.fixture
def city(session: Session) -> City:
    return build_city(session)


def generate(make_ctx: CtxFactory, c: City) -> bills.GenerateResult:
    return bills.generate_bills(make_ctx(c.city, now=AFTER_SELECTION), period="2601")


def test_one_bill_per_school_and_charging_unit_from_the_fee_due_enrollments(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    r = generate(make_ctx, city)
    assert (r.bills, r.amount, r.created) == (3, "570.00", 3)
    got = {k: (b.amount, b.enrollments, b.state) for k, b in bills_by_key(session).items()}
    assert got == {
        ("4401040001", TV): (32000, 3, "unpaid"),
        ("4401040001", YX_CENTRE): (5000, 1, "unpaid"),
        ("4401060001", TV): (20000, 2, "unpaid"),
    }
    numbers = sorted(b.bill_no for b in bills_by_key(session).values())
    assert numbers == ["ZD2601-000001", "ZD2601-000002", "ZD2601-000003"]


@pytest.mark.parametrize("now", [SELECTING, SELECTING.replace(month=2)])
def test_bills_are_not_generated_before_the_selection_has_ended(
    city: City, make_ctx: CtxFactory, now: object
) -> None:
    with pytest.raises(Conflict, match="选课尚未结束"):
        bills.generate_bills(make_ctx(city.city, now=now), period="2601")  # type: ignore[arg-type]


def test_only_the_city_and_the_system_account_generate_bills(
    city: City, make_ctx: CtxFactory
) -> None:
    assert (
        bills.generate_bills(make_ctx(city.system, now=AFTER_SELECTION), period="2601").bills == 3
    )
    for actor in (city.admin_a1, city.dist_a, city.tv):
        with pytest.raises(PermissionDenied):
            bills.generate_bills(make_ctx(actor, now=AFTER_SELECTION), period="2601")


def test_regenerating_changes_nothing_when_nothing_changed(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    generate(make_ctx, city)
    before = {k: (b.bill_no, b.version) for k, b in bills_by_key(session).items()}
    again = generate(make_ctx, city)
    assert (again.created, again.updated, again.unchanged, again.voided) == (0, 0, 3, 0)
    assert {k: (b.bill_no, b.version) for k, b in bills_by_key(session).items()} == before


def test_regenerating_updates_an_unpaid_bill_and_voids_one_left_empty(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    generate(make_ctx, city)
    for key in (("王三", "C2"), ("张一", "D1")):
        e = city.enrollments[key]
        e.state = "dropped"
        session.add(e)
    session.commit()
    r = generate(make_ctx, city)
    assert (r.created, r.updated, r.unchanged, r.voided) == (0, 1, 1, 1)
    got = bills_by_key(session)
    assert (got[("4401060001", TV)].amount, got[("4401060001", TV)].enrollments) == (12000, 1)
    assert got[("4401040001", YX_CENTRE)].state == "void"
    assert r.amount == "440.00"


def test_a_paid_bill_is_never_touched_and_a_later_enrollment_gets_a_new_bill(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    generate(make_ctx, city)
    paid = bills_by_key(session)[("4401060001", TV)]
    payments.pay_bill(
        make_ctx(city.city, now=AFTER_SELECTION), bill_no=paid.bill_no, receipt_no="R1"
    )
    late = make_course(session, "2601", "C3", fee=4000, charging_unit=TV)
    enroll(session, city.t3, late)
    session.commit()
    r = generate(make_ctx, city)
    assert (r.paid, r.created, r.unchanged, r.bills) == (1, 1, 2, 3)
    got = bills_by_key(session)
    newer = got[("4401060001", TV)]
    assert newer.id != paid.id
    assert (newer.state, newer.amount, newer.enrollments) == ("unpaid", 4000, 1)
    old = session.get(Bill, paid.id)
    session.commit()
    assert old is not None
    assert (old.state, old.amount, old.enrollments, old.version) == ("paid", 20000, 2, 2)


def test_a_free_course_is_never_billed(city: City, make_ctx: CtxFactory, session: Session) -> None:
    generate(make_ctx, city)
    detail = bills.show_bill(make_ctx(city.city), bills_by_key(session)[("4401040001", TV)].bill_no)
    assert [i.course_code for i in detail.items] == ["C1", "C2"]
    assert [(i.enrollments, i.price, i.amount) for i in detail.items] == [
        (2, "120.00", "240.00"),
        (1, "80.00", "80.00"),
    ]


def test_generation_is_audited_bill_by_bill(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    generate(make_ctx, city)
    actions = session.execute(
        select(AuditLog.action, func.count()).group_by(AuditLog.action)  # type: ignore[arg-type]
    ).all()
    session.commit()
    assert dict(actions) == {"bill.create": 3, "bill.generate": 1}


def test_each_unit_lists_only_its_own_bills(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    generate(make_ctx, city)

    def codes(actor: object) -> set[tuple[str, str]]:
        rows, total = bills.list_bills(make_ctx(actor), period="2601")  # type: ignore[arg-type]
        assert total == len(rows)
        return {(r.school_code, r.charging_unit) for r in rows}

    assert len(codes(city.city)) == 3
    assert codes(city.admin_a1) == {("4401040001", TV), ("4401040001", YX_CENTRE)}
    assert codes(city.dist_b) == {("4401060001", TV)}
    assert codes(city.tv) == {("4401040001", TV), ("4401060001", TV)}
    assert codes(city.yx_centre) == {("4401040001", YX_CENTRE)}


def test_a_school_admin_cannot_see_another_schools_bill_or_its_notice(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    generate(make_ctx, city)
    other = bills_by_key(session)[("4401060001", TV)].bill_no
    with pytest.raises(PermissionDenied) as exc:
        bills.show_bill(make_ctx(city.admin_a1), other)
    assert "天河" not in exc.value.message and other not in exc.value.message
    with pytest.raises(PermissionDenied):
        notices.bill_notice(make_ctx(city.admin_a1), other)
    with pytest.raises(PermissionDenied):
        bills.list_bills(make_ctx(city.admin_a1), school="4401060001")


def test_an_unknown_bill_is_not_found(city: City, make_ctx: CtxFactory) -> None:
    with pytest.raises(NotFound, match="账单不存在"):
        bills.show_bill(make_ctx(city.city), "ZD2601-999999")


def test_a_notice_names_the_schools_seal_as_payer_and_prints_the_amount_in_capitals(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    generate(make_ctx, city)
    bill = bills_by_key(session)[("4401040001", TV)]
    n = notices.bill_notice(make_ctx(city.admin_a1, now=AFTER_SELECTION), bill.bill_no)
    assert (n.payer, n.payee, n.amount, n.amount_in_words) == (
        "广州市越秀区第一小学",
        TV,
        "320.00",
        "叁佰贰拾元整",
    )
    assert n.issued_on.isoformat() == "2026-04-01"


def test_a_void_bill_has_no_notice(city: City, make_ctx: CtxFactory, session: Session) -> None:
    generate(make_ctx, city)
    e = city.enrollments[("张一", "D1")]
    e.state = "dropped"
    session.add(e)
    session.commit()
    generate(make_ctx, city)
    void = bills_by_key(session)[("4401040001", YX_CENTRE)]
    with pytest.raises(Conflict, match="已作废"):
        notices.bill_notice(make_ctx(city.city), void.bill_no)


def test_refreshing_open_bills_follows_enrollments_that_went_away(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    generate(make_ctx, city)
    e = city.enrollments[("李二", "C1")]
    e.state = "voided"
    session.add(e)
    session.flush()
    changed = bills.refresh_open_bills(
        session, city.city, AFTER_SELECTION, "2601", {city.a1.id or 0}
    )
    session.commit()
    assert changed == 1
    assert bills_by_key(session)[("4401040001", TV)].amount == 20000
