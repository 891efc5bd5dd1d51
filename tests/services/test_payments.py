"""缴费: `bill pay` and the 缴费 sheet reconciliation (SPEC §6 Bill), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, InputRejected, NotFound, PermissionDenied
from jjadmin.importers.common import run_file_import
from jjadmin.importers.payment import PAYMENT_COLUMNS
from jjadmin.models import Enrollment, ImportBatch, Payment
from jjadmin.services.billing import bills, payments
from jjadmin.services.context import Actor
from jjadmin.services.imports import ImportOptions
from jjadmin.services.results import ImportReport
from tests.conftest import CtxFactory
from tests.helpers_billing import (
    AFTER_SELECTION,
    TV,
    YX_CENTRE,
    City,
    bills_by_key,
    build_city,
    enrollment_row,
)
from tests.xlsx_helpers import make_xlsx

HEADERS = ["账单号", "金额", "缴费日期", "票据号"]


@pytest.fixture
def city(session: Session, make_ctx: CtxFactory) -> City:
    c = build_city(session)
    bills.generate_bills(make_ctx(c.city, now=AFTER_SELECTION), period="2601")
    return c


def bill_no(session: Session, school: str, unit: str = TV) -> str:
    return bills_by_key(session)[(school, unit)].bill_no


def pay(make_ctx: CtxFactory, actor: Actor, no: str, receipt: str = "R1", **kw: Any) -> Any:
    return payments.pay_bill(
        make_ctx(actor, now=AFTER_SELECTION), bill_no=no, receipt_no=receipt, **kw
    )


def test_paying_a_bill_marks_it_and_its_enrollments_paid(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    no = bill_no(session, "4401040001")
    r = pay(make_ctx, city.city, no, amount="320.00", paid_on="2026-03-30")
    assert (r.state, r.amount, r.enrollments, r.paid_on.isoformat()) == (
        "paid",
        "320.00",
        3,
        "2026-03-30",
    )
    bill = bills_by_key(session)[("4401040001", TV)]
    assert (bill.state, bill.receipt_no, bill.version) == ("paid", "R1", 2)
    marked = {k: enrollment_row(session, e) for k, e in city.enrollments.items()}
    paid = {k for k, e in marked.items() if e.paid}
    assert paid == {("张一", "C1"), ("张一", "C2"), ("李二", "C1")}
    assert {marked[k].bill_id for k in paid} == {bill.id}
    assert not marked[("张一", "F1")].paid and not marked[("张一", "D1")].paid


def test_the_charging_unit_records_payments_of_its_own_bills_only(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    assert pay(make_ctx, city.tv, bill_no(session, "4401060001")).state == "paid"
    with pytest.raises(PermissionDenied):
        pay(make_ctx, city.tv, bill_no(session, "4401040001", YX_CENTRE), receipt="R2")


@pytest.mark.parametrize("who", ["admin_a1", "dist_a", "system"])
def test_a_school_admin_or_a_district_cannot_record_a_payment(
    city: City, make_ctx: CtxFactory, session: Session, who: str
) -> None:
    with pytest.raises(PermissionDenied):
        pay(make_ctx, getattr(city, who), bill_no(session, "4401040001"))


def test_the_wrong_amount_is_refused_and_changes_nothing(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    no = bill_no(session, "4401040001")
    with pytest.raises(InputRejected, match="应缴 320.00 元，登记 300.00 元"):
        pay(make_ctx, city.city, no, amount="300")
    assert bills_by_key(session)[("4401040001", TV)].state == "unpaid"
    assert not enrollment_row(session, city.enrollments[("张一", "C1")]).paid
    assert session.execute(select(func.count()).select_from(Payment)).scalar_one() == 0


def test_a_receipt_number_is_used_once(city: City, make_ctx: CtxFactory, session: Session) -> None:
    pay(make_ctx, city.city, bill_no(session, "4401040001"), receipt="R1")
    with pytest.raises(Conflict, match="票据号 R1 已用于账单"):
        pay(make_ctx, city.city, bill_no(session, "4401060001"), receipt="R1")


def test_a_paid_bill_cannot_be_paid_again(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    no = bill_no(session, "4401040001")
    pay(make_ctx, city.city, no, receipt="R1")
    with pytest.raises(Conflict, match="已缴费（票据号 R1"):
        pay(make_ctx, city.city, no, receipt="R2")


def test_an_unknown_bill_is_not_found(city: City, make_ctx: CtxFactory) -> None:
    with pytest.raises(NotFound):
        pay(make_ctx, city.city, "ZD2601-999999")


def test_a_bill_whose_enrollments_changed_since_it_was_made_is_not_paid(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    e = city.enrollments[("李二", "C1")]
    e.state = "dropped"
    session.add(e)
    session.commit()
    with pytest.raises(Conflict, match="生成后选课又有变化") as exc:
        pay(make_ctx, city.city, bill_no(session, "4401040001"))
    assert exc.value.hint == "先重新生成账单：jjadmin bill generate --period 2601"
    assert not enrollment_row(session, city.enrollments[("张一", "C1")]).paid


def _import(make_ctx: CtxFactory, actor: Actor, path: Path, **options: bool) -> ImportReport:
    return run_file_import(
        make_ctx(actor, now=AFTER_SELECTION),
        path,
        PAYMENT_COLUMNS,
        payments.import_payments,
        options=ImportOptions(**options),
    ).report


def test_a_payment_sheet_is_reconciled_and_refused_whole_when_a_row_is_wrong(
    city: City, make_ctx: CtxFactory, session: Session, tmp_path: Path
) -> None:
    a1, yx, b1 = (
        bill_no(session, "4401040001"),
        bill_no(session, "4401040001", YX_CENTRE),
        bill_no(session, "4401060001"),
    )
    pay(make_ctx, city.city, yx, receipt="OLD")
    path = make_xlsx(
        tmp_path / "pay.xlsx",
        [
            HEADERS,
            [a1, "320.00", "2026-04-02", "R10"],
            [b1, 199, "2026-04-02", "R11"],
            ["ZD2601-000404", 10, "2026-04-02", "R12"],
            [yx, 50, "2026-04-02", "R13"],
        ],
    )
    report = _import(make_ctx, city.city, path)
    assert not report.ok and report.batch_id is None
    assert {
        k: report.extra[k] for k in ("matched", "wrong_amount", "unknown_bill", "already_paid")
    } == {
        "matched": 1,
        "wrong_amount": 1,
        "unknown_bill": 1,
        "already_paid": 1,
    }
    assert [(i.row, i.column) for i in report.sorted_issues()] == [
        (3, "金额"),
        (4, "账单号"),
        (5, "账单号"),
    ]
    assert "应缴 200.00 元，本行 199.00 元" in report.sorted_issues()[0].message
    assert bills_by_key(session)[("4401040001", TV)].state == "unpaid"


def test_a_good_payment_sheet_pays_every_bill_in_one_batch_and_twice_changes_nothing(
    city: City, make_ctx: CtxFactory, session: Session, tmp_path: Path
) -> None:
    rows = [
        [bill_no(session, "4401040001"), "320", "2026-04-02", "R10"],
        [bill_no(session, "4401060001"), "￥200.00", "2026/04/03", "R11"],
    ]
    path = make_xlsx(tmp_path / "pay.xlsx", [HEADERS, *rows])
    first = _import(make_ctx, city.city, path)
    assert (first.ok, first.created, first.extra["matched"]) == (True, 2, 2)
    assert first.batch_id is not None
    got = bills_by_key(session)
    assert got[("4401060001", TV)].paid_on is not None
    assert str(got[("4401060001", TV)].paid_on) == "2026-04-03"
    assert enrollment_row(session, city.enrollments[("王三", "C2")]).paid
    again = _import(make_ctx, city.city, path)
    assert (again.ok, again.created, again.skipped, again.batch_id) == (True, 0, 2, None)
    assert again.extra["already_paid"] == 2
    assert session.execute(select(func.count()).select_from(ImportBatch)).scalar_one() == 1


def test_a_dry_run_reconciles_and_writes_nothing(
    city: City, make_ctx: CtxFactory, session: Session, tmp_path: Path
) -> None:
    path = make_xlsx(
        tmp_path / "pay.xlsx", [HEADERS, [bill_no(session, "4401040001"), 320, "2026-04-02", "R1"]]
    )
    report = _import(make_ctx, city.city, path, dry_run=True)
    assert (report.ok, report.created, report.extra["matched"]) == (True, 1, 1)
    assert bills_by_key(session)[("4401040001", TV)].state == "unpaid"
    assert not enrollment_row(session, city.enrollments[("张一", "C1")]).paid


def test_skip_invalid_pays_the_matched_rows_only(
    city: City, make_ctx: CtxFactory, session: Session, tmp_path: Path
) -> None:
    path = make_xlsx(
        tmp_path / "pay.xlsx",
        [
            HEADERS,
            [bill_no(session, "4401040001"), 320, "2026-04-02", "R1"],
            [bill_no(session, "4401060001"), 1, "2026-04-02", "R2"],
        ],
    )
    report = _import(make_ctx, city.city, path, skip_invalid=True)
    assert (report.ok, report.created, len(report.issues)) == (False, 1, 1)
    got = bills_by_key(session)
    assert (got[("4401040001", TV)].state, got[("4401060001", TV)].state) == ("paid", "unpaid")


def test_a_charging_unit_importing_another_units_bill_sees_an_unknown_bill(
    city: City, make_ctx: CtxFactory, session: Session, tmp_path: Path
) -> None:
    path = make_xlsx(
        tmp_path / "pay.xlsx",
        [HEADERS, [bill_no(session, "4401040001", YX_CENTRE), 50, "2026-04-02", "R1"]],
    )
    report = _import(make_ctx, city.tv, path)
    assert report.extra["unknown_bill"] == 1
    assert report.issues[0].message.startswith("账单号不存在")


def test_a_receipt_used_before_or_twice_in_the_sheet_is_refused(
    city: City, make_ctx: CtxFactory, session: Session, tmp_path: Path
) -> None:
    pay(make_ctx, city.city, bill_no(session, "4401040001", YX_CENTRE), receipt="R1")
    path = make_xlsx(
        tmp_path / "pay.xlsx",
        [
            HEADERS,
            [bill_no(session, "4401040001"), 320, "2026-04-02", "R1"],
            [bill_no(session, "4401060001"), 200, "2026-04-02", "R9"],
            [bill_no(session, "4401060001"), 200, "2026-04-02", "R9"],
        ],
    )
    report = _import(make_ctx, city.city, path)
    messages = [(i.row, i.column) for i in report.sorted_issues()]
    assert (2, "票据号") in messages and (4, "账单号") in messages
    assert report.extra["receipt_used"] == 1


def test_a_school_admin_cannot_import_payments(
    city: City, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    path = make_xlsx(tmp_path / "pay.xlsx", [HEADERS, ["ZD2601-000001", 1, "2026-04-02", "R"]])
    with pytest.raises(PermissionDenied):
        _import(make_ctx, city.admin_a1, path)


def test_enrollments_stay_unpaid_until_their_bill_is_paid(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    unpaid = session.execute(
        select(func.count()).where(Enrollment.paid.is_(False))  # type: ignore[attr-defined]
    ).scalar_one()
    session.commit()
    assert unpaid == len(city.enrollments)
