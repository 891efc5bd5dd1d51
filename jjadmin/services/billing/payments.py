"""缴费: `bill pay` (one bill, with its receipt number) and `bill import-payments` (a 缴费 sheet
reconciled against the bills: matched, wrong amount, unknown bill, already paid).

A payment marks the bill paid and, in the same transaction, every enrollment it was for
(`enrollment.paid`, `enrollment.bill_id`). Both take the period's shared lock first, so that a
`period close` running at the same time either sees the payment or waits for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Table, bindparam, false, insert, select, true, update
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin import faults
from jjadmin.clock import local
from jjadmin.errors import Conflict, InputRejected
from jjadmin.models import Bill, Course, Enrollment, Payment, School
from jjadmin.rules.billing import normalize_receipt_no
from jjadmin.rules.ids import parse_date
from jjadmin.rules.money import format_money, parse_money
from jjadmin.services import audit
from jjadmin.services.billing.common import (
    audit_many,
    bill_in_scope,
    bulk_cache,
    course_fees,
    fee_due,
    get_bill,
    lock_period,
)
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.imports import BatchWriter, ImportOptions, run_import
from jjadmin.services.results import FileMeta, ImportReport, RowIssue, RowLike

__all__ = ["PAYER_ROLES", "PaymentResult", "import_payments", "mark_paid", "pay_bill"]

E: Table = Enrollment.__table__  # type: ignore[attr-defined]
C: Table = Course.__table__  # type: ignore[attr-defined]
B: Table = Bill.__table__  # type: ignore[attr-defined]
PAYER_ROLES = ("city", "institution")  # who records payments: the centre, the charging unit
CHUNK = 500
RECONCILE_KEYS = (
    "matched",
    "wrong_amount",
    "unknown_bill",
    "already_paid",
    "void_bill",
    "receipt_used",
)


@dataclass(frozen=True)
class PaymentResult:
    bill_no: str
    receipt_no: str
    amount: str
    paid_on: date
    enrollments: int  # enrollments marked paid
    state: str


_MARK = (
    update(E)
    .where(
        E.c.period == bindparam("m_period"),
        E.c.school_id == bindparam("m_school"),
        E.c.state == "active",
        E.c.paid == false(),
        E.c.course_id.in_(
            select(C.c.id).where(
                C.c.period == bindparam("m_period"),
                C.c.charging_unit == bindparam("m_unit"),
                fee_due(C.c),
            )
        ),
    )
    .values(paid=true(), bill_id=bindparam("m_bill"))
    .returning(E.c.course_id)
)


def mark_paid(session: Session, bills: Iterable[Bill]) -> None:
    """Mark paid every enrollment each (unpaid) bill is for, in the caller's transaction.

    One indexed UPDATE per bill (its school's enrollments of the period), returning the
    courses it marked: what was marked must be exactly what the bill asks for.
    Raises Conflict (5) when a bill's enrollments changed since it was generated.
    """
    todo = list(bills)
    if len(todo) > 1:
        bulk_cache(session)
    fees: dict[int, int] = {}
    for period in sorted({b.period for b in todo}):
        fees.update(course_fees(session, period, {b.charging_unit for b in todo}))
    for bill in todo:
        marked = session.execute(
            _MARK,
            {
                "m_period": bill.period,
                "m_school": bill.school_id,
                "m_unit": bill.charging_unit,
                "m_bill": bill.id,
            },
        ).all()
        amount = sum(fees.get(course_id, 0) for (course_id,) in marked)
        if (len(marked), amount) != (bill.enrollments, bill.amount):
            raise Conflict(
                f"账单 {bill.bill_no} 生成后选课又有变化（账单 {bill.enrollments} 人次"
                f" {format_money(bill.amount)} 元，现应缴 {len(marked)} 人次"
                f" {format_money(amount)} 元），未登记缴费",
                hint=f"先重新生成账单：jjadmin bill generate --period {bill.period}",
            )


def _paid_message(bill: Bill) -> str:
    when = f"，缴费日期 {bill.paid_on}" if bill.paid_on else ""
    return f"账单 {bill.bill_no} 已缴费（票据号 {bill.receipt_no}{when}）"


def pay_bill(
    ctx: ServiceContext,
    *,
    bill_no: str,
    receipt_no: str,
    amount: str | None = None,
    paid_on: str | date | None = None,
) -> PaymentResult:
    """登记缴费: the bill's amount was paid (票据号 = the receipt); its enrollments become paid.

    Raises InvalidValue / InputRejected (1: malformed value, amount not the bill's),
    PermissionDenied (3: not the city or the bill's charging unit), NotFound (4),
    Conflict (5: already paid, void, receipt number already used, bill out of date).
    """
    actor = ctx.require(*PAYER_ROLES, action="登记缴费")
    receipt = normalize_receipt_no(receipt_no)
    fen = parse_money(amount) if amount is not None else None
    day = parse_date(paid_on) if paid_on is not None else local(ctx.now).date()
    with ctx.transaction() as session:
        bill, _ = get_bill(session, actor, bill_no)
        lock_period(session, bill.period, exclusive=False)
        bill, _ = get_bill(session, actor, bill.bill_no, for_update=True)
        faults.point("bill.pay")
        if bill.state == "paid":
            raise Conflict(_paid_message(bill), hint=f"jjadmin bill show {bill.bill_no}")
        if bill.state == "void":
            raise Conflict(f"账单 {bill.bill_no} 已作废，不能缴费")
        if fen is not None and fen != bill.amount:
            raise InputRejected(
                f"缴费金额与账单金额不符：账单 {bill.bill_no} 应缴 {format_money(bill.amount)}"
                f" 元，登记 {format_money(fen)} 元；未做任何修改",
                hint="按账单金额缴费（--amount 可省略）",
            )
        used = session.execute(
            select(col(Bill.bill_no))
            .join(Payment, col(Payment.bill_id) == col(Bill.id))
            .where(col(Payment.receipt_no) == receipt)
        ).scalar_one_or_none()
        if used is not None:
            raise Conflict(f"票据号 {receipt} 已用于账单 {used}，不能重复使用")
        mark_paid(session, [bill])
        session.add(
            Payment(
                bill_id=bill.id or 0,
                amount=bill.amount,
                paid_on=day,
                receipt_no=receipt,
                recorded_by=actor.account_id,
                recorded_at=ctx.now,
            )
        )
        bill.state = "paid"
        bill.receipt_no = receipt
        bill.paid_on = day
        bill.paid_at = ctx.now
        bill.version += 1
        bill.updated_at = ctx.now
        audit.record(
            session,
            actor,
            ctx.now,
            "bill.pay",
            "bill",
            bill.bill_no,
            before={"state": "unpaid"},
            after={
                "state": "paid",
                "receipt_no": receipt,
                "amount": format_money(bill.amount),
                "paid_on": day,
                "enrollments": bill.enrollments,
            },
        )
        return PaymentResult(
            bill.bill_no, receipt, format_money(bill.amount), day, bill.enrollments, "paid"
        )


@dataclass(frozen=True)
class _Pay:
    row: int
    bill: Bill
    receipt_no: str
    paid_on: date


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def _load_bills(session: Session, nos: Sequence[str]) -> dict[str, Bill]:
    """The bills named, locked: the periods' shared locks first (the close's order)."""
    periods: set[str] = set()
    for chunk in _chunks(nos):
        periods.update(
            session.execute(
                select(col(Bill.period)).where(col(Bill.bill_no).in_(chunk)).distinct()
            ).scalars()
        )
    for period in sorted(periods):
        lock_period(session, period, exclusive=False)
    bills: dict[str, Bill] = {}
    for chunk in _chunks(nos):
        stmt = select(Bill).where(col(Bill.bill_no).in_(chunk)).with_for_update()
        bills.update({b.bill_no: b for b in session.execute(stmt).scalars()})
    faults.point("bill.pay")
    return bills


def _used_receipts(session: Session, receipts: Sequence[str]) -> dict[str, str]:
    used: dict[str, str] = {}
    for chunk in _chunks(receipts):
        used.update(
            session.execute(
                select(col(Payment.receipt_no), col(Bill.bill_no))
                .join(Bill, col(Bill.id) == col(Payment.bill_id))
                .where(col(Payment.receipt_no).in_(chunk))
            ).all()
        )
    return used


def _unit(actor: Actor) -> str:
    return "city" if actor.role == "city" else f"institution:{actor.institution}"


def import_payments(
    ctx: ServiceContext,
    *,
    rows: Sequence[RowLike],
    pre_issues: Sequence[RowIssue],
    file: FileMeta,
    options: ImportOptions,
    notes: Sequence[str] = (),
    present: frozenset[str] = frozenset(),
) -> ImportReport:
    """缴费 sheet (账单号, 金额, 缴费日期, 票据号) reconciled against the bills; all or nothing.

    A row is matched (its bill unpaid, the amount the bill's, the receipt number new), or
    refused as wrong amount, unknown bill (also another unit's), already paid (with another
    receipt), void, or receipt already used; a bill already paid with the same receipt and
    amount is skipped (importing a sheet twice changes nothing). The report's extra keys
    count each kind. Raises PermissionDenied (3), Conflict (5: another import of the unit
    running, a bill out of date).
    """
    actor = ctx.require(*PAYER_ROLES, action="导入缴费")
    plan: dict[int, _Pay] = {}
    skip: set[int] = set()
    counts = dict.fromkeys(RECONCILE_KEYS, 0)

    def validate(
        session: Session, actor: Actor, rows: Sequence[RowLike], report: ImportReport
    ) -> None:
        usable = [r for r in rows if not r.issues]
        bills = _load_bills(session, sorted({str(r.values["bill_no"]) for r in usable}))
        schools = {
            s.id: s
            for s in session.execute(
                select(School).where(col(School.id).in_({b.school_id for b in bills.values()}))
            ).scalars()
        }
        used = _used_receipts(session, sorted({str(r.values["receipt_no"]) for r in usable}))

        def refuse(r: RowLike, column: str, value: str, message: str, kind: str) -> None:
            counts[kind] += 1
            report.add(RowIssue(r.row, column, value, message, kind.replace("_", "-"), "state"))

        for r in usable:
            no, receipt = str(r.values["bill_no"]), str(r.values["receipt_no"])
            fen = int(r.values["amount"])  # type: ignore[call-overload]
            bill = bills.get(no)
            if bill is None or not bill_in_scope(actor, bill, schools[bill.school_id]):
                refuse(r, "账单号", no, f"账单号不存在：{no}", "unknown_bill")
                continue
            if bill.state == "paid":
                if bill.receipt_no == receipt and bill.amount == fen:
                    counts["already_paid"] += 1
                    skip.add(r.row)
                    continue
                refuse(r, "账单号", no, _paid_message(bill), "already_paid")
                continue
            if bill.state == "void":
                refuse(r, "账单号", no, f"账单 {no} 已作废", "void_bill")
                continue
            if fen != bill.amount:
                refuse(
                    r,
                    "金额",
                    format_money(fen),
                    f"金额不符：账单 {no} 应缴 {format_money(bill.amount)} 元，"
                    f"本行 {format_money(fen)} 元",
                    "wrong_amount",
                )
                continue
            if receipt in used:
                refuse(
                    r,
                    "票据号",
                    receipt,
                    f"票据号 {receipt} 已用于账单 {used[receipt]}",
                    "receipt_used",
                )
                continue
            counts["matched"] += 1
            plan[r.row] = _Pay(r.row, bill, receipt, r.values["paid_on"])  # type: ignore[arg-type]
        report.extra.update(counts)

    def apply(
        session: Session,
        actor: Actor,
        rows: Sequence[RowLike],
        report: ImportReport,
        writer: BatchWriter,
    ) -> None:
        todo = [plan[r.row] for r in rows if r.row in plan]
        report.skipped += sum(1 for r in rows if r.row in skip)
        if not todo:
            return
        mark_paid(session, [p.bill for p in todo])
        session.execute(
            insert(Payment),
            [
                {
                    "bill_id": p.bill.id,
                    "amount": p.bill.amount,
                    "paid_on": p.paid_on,
                    "receipt_no": p.receipt_no,
                    "recorded_by": actor.account_id,
                    "recorded_at": ctx.now,
                    "batch_id": writer.batch_id,
                }
                for p in todo
            ],
        )
        session.execute(
            update(B)
            .where(B.c.id == bindparam("b_id"))
            .values(
                state="paid",
                receipt_no=bindparam("b_receipt"),
                paid_on=bindparam("b_paid_on"),
                paid_at=ctx.now,
                version=B.c.version + 1,
                updated_at=ctx.now,
            ),
            [{"b_id": p.bill.id, "b_receipt": p.receipt_no, "b_paid_on": p.paid_on} for p in todo],
        )
        for p in todo:
            writer.changed(
                "bill",
                p.bill.id or 0,
                {"state": "unpaid", "receipt_no": None, "paid_on": None, "paid_at": None},
                {"state": "paid", "receipt_no": p.receipt_no, "paid_on": p.paid_on},
                p.bill.version + 1,
            )
        audit_many(
            session,
            actor,
            ctx.now,
            (
                (
                    "bill.pay",
                    "bill",
                    p.bill.bill_no,
                    {"state": "unpaid"},
                    {
                        "state": "paid",
                        "receipt_no": p.receipt_no,
                        "amount": format_money(p.bill.amount),
                        "paid_on": p.paid_on,
                        "enrollments": p.bill.enrollments,
                    },
                )
                for p in todo
            ),
            batch_id=writer.batch_id,
        )
        report.created += len(todo)

    return run_import(
        ctx,
        kind="payment",
        unit=_unit(actor),
        file=file,
        rows=rows,
        pre_issues=pre_issues,
        options=options,
        validate=validate,
        apply=apply,
        actor=actor,
        notes=notes,
    )
