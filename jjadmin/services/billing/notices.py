"""缴款通知书: what the notice of one bill says (the exporter draws it). The payer is the
school's 公章名 (seed: 缴款通知书以学校公章名称作为缴费单位名称), the payee the charging unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jjadmin.clock import local
from jjadmin.errors import Conflict
from jjadmin.rules.money import chinese_capital, format_money
from jjadmin.services.billing.bills import BillItem, bill_items
from jjadmin.services.billing.common import BILL_STATES, READ_ROLES, get_bill
from jjadmin.services.context import ServiceContext

__all__ = ["NoticeData", "bill_notice"]


@dataclass(frozen=True)
class NoticeData:
    bill_no: str
    bill_name: str
    period: str
    payer: str  # 学校公章名
    school_code: str
    school_name: str
    payee: str  # 收费单位
    amount: str
    amount_in_words: str
    enrollments: int
    state: str
    state_label: str
    items: list[BillItem]
    issued_on: date
    receipt_no: str | None


def bill_notice(ctx: ServiceContext, bill_no: str) -> NoticeData:
    """The 缴款通知书 of a bill the actor may see (a school admin: its own bills only).

    Raises InvalidValue (1), PermissionDenied (3), NotFound (4), Conflict (5: a void bill).
    """
    actor = ctx.require(*READ_ROLES, action="打印缴款通知书")
    with ctx.reading() as session:
        bill, school = get_bill(session, actor, bill_no)
        if bill.state == "void":
            raise Conflict(f"账单 {bill.bill_no} 已作废，没有缴款通知书")
        return NoticeData(
            bill_no=bill.bill_no,
            bill_name=bill.name,
            period=bill.period,
            payer=school.seal_name,
            school_code=school.code,
            school_name=school.name,
            payee=bill.charging_unit,
            amount=format_money(bill.amount),
            amount_in_words=chinese_capital(bill.amount),
            enrollments=bill.enrollments,
            state=bill.state,
            state_label=BILL_STATES[bill.state],
            items=bill_items(session, bill),
            issued_on=local(ctx.now).date(),
            receipt_no=bill.receipt_no,
        )
