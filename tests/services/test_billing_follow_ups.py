"""What bills change elsewhere: transfers blocked by real unpaid bills, drops (a paid
enrollment never; a district its 区级 after the window; the bill follows), `batch undo`
(refusing billed-and-paid enrollments, undoing payments and clearings). SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, PermissionDenied
from jjadmin.importers.common import run_file_import
from jjadmin.importers.payment import PAYMENT_COLUMNS
from jjadmin.importers.special_user import CLEARING_COLUMNS
from jjadmin.services import enrollment, transfers
from jjadmin.services.billing import bills, clearing, close, payments
from jjadmin.services.enrollment import EnrollRow, SelectionWindowClosed
from jjadmin.services.imports import ImportOptions, undo_batch
from jjadmin.services.results import FileMeta
from tests.conftest import CtxFactory
from tests.helpers_billing import (
    AFTER_DEADLINE,
    AFTER_SELECTION,
    SELECTING,
    TV,
    YX_CENTRE,
    City,
    bills_by_key,
    build_city,
    enrollment_row,
    flags,
)
from tests.helpers_courses import make_course
from tests.xlsx_helpers import make_xlsx

LATER = AFTER_DEADLINE + timedelta(days=2)


@pytest.fixture
def city(session: Session, make_ctx: CtxFactory) -> City:
    c = build_city(session)
    bills.generate_bills(make_ctx(c.city, now=AFTER_SELECTION), period="2601")
    return c


def request(make_ctx: CtxFactory, c: City, learner_no: str, *, now: datetime = LATER) -> int:
    view = transfers.request_transfer(
        make_ctx(c.city, now=now), learner_no=learner_no, to_school="4401040002"
    )
    return view.id


def pay(make_ctx: CtxFactory, c: City, session: Session, school: str, unit: str = TV) -> None:
    no = bills_by_key(session)[(school, unit)].bill_no
    payments.pay_bill(make_ctx(c.city, now=AFTER_SELECTION), bill_no=no, receipt_no=f"R-{no}")


# --- transfers ------------------------------------------------------------------------------


def test_an_unpaid_enrollment_blocks_a_move_only_once_its_payment_deadline_has_passed(
    city: City, make_ctx: CtxFactory
) -> None:
    assert request(make_ctx, city, city.t2.learner_no, now=AFTER_SELECTION) > 0
    with pytest.raises(Conflict, match="往期选课未缴费记录（2601期全员培训2门）"):
        request(make_ctx, city, city.t3.learner_no)


def test_a_free_enrollment_never_blocks_a_move(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    pay(make_ctx, city, session, "4401040001")  # 张一's C1 and C2 are paid; D1 is 区级
    e = city.enrollments[("张一", "D1")]
    e.state = "dropped"
    session.add(e)
    session.commit()
    assert not enrollment_row(session, city.enrollments[("张一", "F1")]).paid
    assert request(make_ctx, city, city.t1.learner_no) > 0


def test_the_block_names_who_can_remove_each_kind_of_record(
    city: City, make_ctx: CtxFactory
) -> None:
    with pytest.raises(Conflict) as exc:
        request(make_ctx, city, city.t1.learner_no)
    message = exc.value.message
    assert "2601期全员培训2门、2601期区级培训1门" in message
    assert "市级选课未缴费记录请向广州市教师远程培训中心申请删除记录" in message
    assert "区级选课未缴费记录请向越秀区教师培训机构管理员申请删除记录" in message


def test_a_district_level_special_user_is_sent_to_the_district(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    pay(make_ctx, city, session, "4401040001")
    close.close_period(make_ctx(city.dist_a, now=AFTER_DEADLINE), period="2601", level="区级培训")
    with pytest.raises(Conflict, match="须先由越秀区教师培训机构管理员取消特殊用户") as exc:
        request(make_ctx, city, city.t1.learner_no)
    assert exc.value.hint is not None and "区级培训的特殊用户由该区取消" in exc.value.hint
    clearing.clear_special_user(
        make_ctx(city.dist_a, now=LATER), learner_no=city.t1.learner_no, evidence="区里核实"
    )
    assert request(make_ctx, city, city.t1.learner_no) > 0


# --- drops ----------------------------------------------------------------------------------


def drop(make_ctx: CtxFactory, actor: object, learner_no: str, course: str, now: datetime) -> str:
    return enrollment.drop_enrollment(
        make_ctx(actor, now=now),
        period="2601",
        learner_no=learner_no,
        course_code=course,  # type: ignore[arg-type]
    ).state


def test_a_paid_enrollment_is_never_dropped_not_even_by_the_city(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    pay(make_ctx, city, session, "4401060001")
    with pytest.raises(Conflict, match="已缴费"):
        drop(make_ctx, city.city, city.t3.learner_no, "C1", LATER)


def test_after_the_window_a_district_drops_its_own_district_level_enrollments(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    with pytest.raises(SelectionWindowClosed) as exc:
        drop(make_ctx, city.dist_a, city.t1.learner_no, "C1", LATER)
    assert exc.value.hint is not None and "市级培训中心" in exc.value.hint
    with pytest.raises(PermissionDenied):
        drop(make_ctx, city.dist_b, city.t1.learner_no, "D1", LATER)
    assert drop(make_ctx, city.dist_a, city.t1.learner_no, "D1", LATER) == "dropped"
    assert bills_by_key(session)[("4401040001", YX_CENTRE)].state == "void"


def test_dropping_an_unpaid_billed_enrollment_brings_its_bill_up_to_date(
    city: City, make_ctx: CtxFactory, session: Session
) -> None:
    drop(make_ctx, city.tv, city.t2.learner_no, "C1", LATER)
    bill = bills_by_key(session)[("4401040001", TV)]
    assert (bill.amount, bill.enrollments) == (20000, 2)
    payments.pay_bill(make_ctx(city.tv, now=LATER), bill_no=bill.bill_no, receipt_no="R9")


# --- batch undo -----------------------------------------------------------------------------


def test_batch_undo_refuses_a_batch_whose_enrollments_were_billed_and_paid(
    session: Session, make_ctx: CtxFactory
) -> None:
    c = build_city(session)
    late = make_course(session, "2601", "C7", fee=3000, charging_unit=TV)
    session.commit()
    report = enrollment.import_enrollments(
        make_ctx(c.city, now=SELECTING),
        period="2601",
        rows=[
            EnrollRow(2, {"learner_no": c.t2.learner_no, "course_code": "C7"}),
            EnrollRow(3, {"learner_no": c.t3.learner_no, "course_code": "C7"}),
        ],
        pre_issues=[],
        file=FileMeta("选课.xlsx", "0" * 64),
        options=ImportOptions(),
    )
    assert report.batch_id is not None and late.id
    bills.generate_bills(make_ctx(c.city, now=AFTER_SELECTION), period="2601")
    pay(make_ctx, c, session, "4401040001")
    with pytest.raises(Conflict) as exc:
        undo_batch(make_ctx(c.city, now=LATER), report.batch_id)
    assert f"选课记录 {c.t2.learner_no}/C7（已缴费）" in exc.value.message
    assert c.t3.learner_no not in exc.value.message
    assert enrollment_row(session, c.enrollments[("李二", "C1")]).paid


def test_undoing_a_payment_import_makes_the_bills_and_their_enrollments_unpaid_again(
    city: City, make_ctx: CtxFactory, session: Session, tmp_path: Path
) -> None:
    bill = bills_by_key(session)[("4401040001", TV)]
    sheet = make_xlsx(
        tmp_path / "缴费.xlsx",
        [["账单号", "金额", "缴费日期", "票据号"], [bill.bill_no, "320", "2026-04-02", "U1"]],
    )
    report = run_file_import(
        make_ctx(city.city, now=AFTER_SELECTION),
        sheet,
        PAYMENT_COLUMNS,
        payments.import_payments,
        options=ImportOptions(),
    ).report
    assert report.batch_id is not None
    assert enrollment_row(session, city.enrollments[("张一", "C1")]).paid
    counts = undo_batch(make_ctx(city.city, now=AFTER_SELECTION), report.batch_id)
    assert counts == {"reverted": 1, "deleted": 1}
    again = bills_by_key(session)[("4401040001", TV)]
    assert (again.state, again.receipt_no, again.paid_on) == ("unpaid", None, None)
    row = enrollment_row(session, city.enrollments[("张一", "C1")])
    assert (row.paid, row.bill_id) == (False, None)
    payments.pay_bill(
        make_ctx(city.city, now=AFTER_SELECTION), bill_no=bill.bill_no, receipt_no="U1"
    )


def test_undoing_a_collective_clearing_reopens_the_flags_and_their_enrollments(
    city: City, make_ctx: CtxFactory, session: Session, tmp_path: Path
) -> None:
    close.close_period(make_ctx(city.city, now=AFTER_DEADLINE), period="2601")
    proof = tmp_path / "申请.pdf"
    proof.write_bytes(b"%PDF-1.4\n%%EOF\n")
    sheet = make_xlsx(tmp_path / "附表2.xlsx", [["学员学号"], [city.t3.learner_no]])
    report = run_file_import(
        make_ctx(city.city, now=LATER),
        sheet,
        CLEARING_COLUMNS,
        clearing.import_clearing,
        options=ImportOptions(),
        school="4401060001",
        seal_proof=proof,
    ).report
    assert report.batch_id is not None
    assert enrollment_row(session, city.enrollments[("王三", "C1")]).state == "voided"
    undo_batch(make_ctx(city.city, now=LATER), report.batch_id)
    flag = next(f for f in flags(session) if f.teacher_id == city.t3.id)
    assert (flag.cleared_at, flag.evidence) == (None, None)
    assert enrollment_row(session, city.enrollments[("王三", "C1")]).state == "active"
    with pytest.raises(Conflict):
        transfers.request_transfer(
            make_ctx(city.city, now=LATER), learner_no=city.t3.learner_no, to_school="4401040002"
        )
