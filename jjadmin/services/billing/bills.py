"""账单管理: `bill generate` (one bill per school and charging unit from the unpaid
enrollments), `bill list`, `bill show`; and keeping unpaid bills equal to their enrollments
when enrollments go away (`refresh_open_bills`)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, false, func, insert, select, text, update
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin import faults
from jjadmin.clock import local
from jjadmin.errors import Conflict, InputRejected
from jjadmin.models import Bill, Course, Enrollment, Payment, School
from jjadmin.models import Sequence as SequenceRow
from jjadmin.rules.billing import format_bill_no
from jjadmin.rules.codes import parse_period_code
from jjadmin.rules.money import format_money
from jjadmin.rules.windows import SELECTING, period_state
from jjadmin.services import audit
from jjadmin.services.billing.common import (
    BILL_STATES,
    READ_ROLES,
    BillView,
    audit_many,
    bill_scope,
    bill_view,
    bill_views_stmt,
    bulk_cache,
    fee_due,
    get_bill,
    lock_period,
)
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.period_lookup import get_period
from jjadmin.services.scope import get_school

__all__ = [
    "BillDetail",
    "BillItem",
    "GenerateResult",
    "bill_items",
    "generate_bills",
    "list_bills",
    "refresh_open_bills",
    "show_bill",
]

E: Table = Enrollment.__table__  # type: ignore[attr-defined]
B: Table = Bill.__table__  # type: ignore[attr-defined]
SEQ: Table = SequenceRow.__table__  # type: ignore[attr-defined]
NAME_MAX = 200


@dataclass(frozen=True)
class GenerateResult:
    period: str
    bills: int  # the period's unpaid bills after this run
    amount: str  # what they ask for in all
    created: int
    updated: int
    unchanged: int
    voided: int
    paid: int  # bills already paid, left as they were


@dataclass
class _Tally:
    amount: int = 0
    enrollments: int = 0


@dataclass
class _Open:
    id: int
    bill_no: str
    amount: int
    enrollments: int


@dataclass
class _Plan:
    create: list[tuple[tuple[int, str], _Tally]] = field(default_factory=list)
    change: list[tuple[_Open, _Tally]] = field(default_factory=list)
    void: list[_Open] = field(default_factory=list)
    unchanged: int = 0


def _tally(
    session: Session, period: str, school_ids: set[int] | None = None
) -> dict[tuple[int, str], _Tally]:
    """(school id, charging unit) → what the school owes the unit: its active, unpaid
    enrollments of the period's courses with a fee due. One grouped scan of the period's
    enrollments (per school and course: no join per row), priced here from the courses."""
    courses = {
        int(cid or 0): (unit, int(fee))
        for cid, unit, fee in session.execute(
            select(
                col(Course.id),
                col(Course.charging_unit),
                col(Course.fee) + col(Course.material_fee),
            ).where(col(Course.period) == period, fee_due())
        ).all()
    }
    sqlite = session.get_bind().dialect.name == "sqlite"
    # literal predicates: SQLite uses a partial index only for the very terms it was made with
    only = " AND school_id IN (SELECT value FROM json_each(:schools))" if sqlite else ""
    if not sqlite:
        only = " AND school_id = ANY(CAST(:schools AS integer[]))"
    sql = (
        "SELECT school_id, course_id, count(*) FROM enrollment"
        + (" INDEXED BY ix_enrollment_unpaid" if sqlite else "")
        + " WHERE period = :period AND state = 'active' AND paid = "
        + ("0" if sqlite else "false")
        + (only if school_ids is not None else "")
        + " GROUP BY school_id, course_id"
    )
    params: dict[str, Any] = {"period": period}
    if school_ids is not None:
        ids = sorted(school_ids)
        params["schools"] = json.dumps(ids) if sqlite else "{" + ",".join(map(str, ids)) + "}"
    rows = session.execute(text(sql), params)
    tally: dict[tuple[int, str], _Tally] = defaultdict(_Tally)
    for school_id, course_id, n in rows:
        priced = courses.get(course_id)
        if priced is None:  # free course: nothing to bill
            continue
        unit, fee = priced
        t = tally[(school_id, unit)]
        t.amount += fee * n
        t.enrollments += n
    return tally


def _open_bills(
    session: Session, period: str, school_ids: set[int] | None = None
) -> dict[tuple[int, str], _Open]:
    stmt = select(
        B.c.id, B.c.bill_no, B.c.school_id, B.c.charging_unit, B.c.amount, B.c.enrollments
    ).where(B.c.period == period, B.c.state == "unpaid")
    if school_ids is not None:
        stmt = stmt.where(B.c.school_id.in_(sorted(school_ids)))
    return {
        (school_id, unit): _Open(bid, no, amount, n)
        for bid, no, school_id, unit, amount, n in session.execute(stmt)
    }


def _plan(tally: dict[tuple[int, str], _Tally], open_: dict[tuple[int, str], _Open]) -> _Plan:
    plan = _Plan()
    for key, t in sorted(tally.items()):
        bill = open_.get(key)
        if bill is None:
            plan.create.append((key, t))
        elif (bill.amount, bill.enrollments) != (t.amount, t.enrollments):
            plan.change.append((bill, t))
        else:
            plan.unchanged += 1
    plan.void = [b for key, b in sorted(open_.items()) if key not in tally]
    return plan


def allocate_bill_numbers(session: Session, period: str, count: int) -> list[str]:
    """`count` new bill numbers of `period`, from the period's counter in `sequence` (one
    UPDATE … RETURNING: never issued twice, even by concurrent runs)."""
    if count <= 0:
        return []
    name = f"bill:{period}"
    if session.execute(select(SEQ.c.value).where(SEQ.c.name == name)).first() is None:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            stmt: Any = postgresql.insert(SEQ).values(name=name, value=0).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects import sqlite

            stmt = sqlite.insert(SEQ).values(name=name, value=0).on_conflict_do_nothing()
        session.execute(stmt)
    last = session.execute(
        update(SEQ)
        .where(SEQ.c.name == name)
        .values(value=SEQ.c.value + count)
        .returning(SEQ.c.value)
    ).scalar_one()
    first = int(last) - count + 1
    return [format_bill_no(period, n) for n in range(first, int(last) + 1)]


def _bill_name(school_name: str, period: str, unit: str) -> str:
    return f"{school_name}{period}期培训费（{unit}）"[:NAME_MAX]


def _apply(
    session: Session, actor: Actor, now: datetime, period: str, plan: _Plan, *, create: bool
) -> None:
    entries: list[tuple[str, str, str, dict[str, Any] | None, dict[str, Any] | None]] = []
    if create and plan.create:
        school_ids = sorted({key[0] for key, _ in plan.create})
        names = dict(
            session.execute(
                select(col(School.id), col(School.name)).where(col(School.id).in_(school_ids))
            ).all()
        )
        numbers = allocate_bill_numbers(session, period, len(plan.create))
        rows = [
            {
                "bill_no": no,
                "period": period,
                "school_id": school_id,
                "charging_unit": unit,
                "name": _bill_name(str(names.get(school_id, "")), period, unit),
                "amount": t.amount,
                "enrollments": t.enrollments,
                "state": "unpaid",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for no, ((school_id, unit), t) in zip(numbers, plan.create, strict=True)
        ]
        session.execute(insert(B), rows)
        entries += [
            (
                "bill.create",
                "bill",
                no,
                None,
                {"amount": format_money(t.amount), "enrollments": t.enrollments},
            )
            for no, (_, t) in zip(numbers, plan.create, strict=True)
        ]
    if plan.change:
        session.execute(
            update(B)
            .where(B.c.id == bindparam("b_id"))
            .values(
                amount=bindparam("b_amount"),
                enrollments=bindparam("b_enrollments"),
                version=B.c.version + 1,
                updated_at=now,
            ),
            [
                {"b_id": b.id, "b_amount": t.amount, "b_enrollments": t.enrollments}
                for b, t in plan.change
            ],
        )
        entries += [
            (
                "bill.update",
                "bill",
                b.bill_no,
                {"amount": format_money(b.amount), "enrollments": b.enrollments},
                {"amount": format_money(t.amount), "enrollments": t.enrollments},
            )
            for b, t in plan.change
        ]
    if plan.void:
        session.execute(
            update(B)
            .where(B.c.id.in_([b.id for b in plan.void]))
            .values(state="void", version=B.c.version + 1, updated_at=now)
        )
        entries += [
            (
                "bill.void",
                "bill",
                b.bill_no,
                {"state": "unpaid", "amount": format_money(b.amount)},
                {"state": "void", "reason": "账单的选课已全部删除或作废"},
            )
            for b in plan.void
        ]
    audit_many(session, actor, now, entries)


def generate_bills(ctx: ServiceContext, *, period: str) -> GenerateResult:
    """One unpaid bill per school and charging unit from the period's active, unpaid
    enrollments with a fee due (amount = Σ 培训费用 + 教材费用); run again, it brings unpaid
    bills up to date, voids those left without enrollments, never touches a paid one.

    Raises PermissionDenied (3: not the city or the system account), InvalidValue (1),
    NotFound (4), Conflict (5: the period's selection has not ended).
    """
    actor = ctx.require("city", "system", action="生成账单")
    code = parse_period_code(period)
    with ctx.transaction() as session:
        p = lock_period(session, code, exclusive=True)
        faults.point("bill.generate")
        state = period_state(p, ctx.now)
        if state == SELECTING or ctx.now < p.select_from:
            until = local(p.select_to).strftime("%Y-%m-%d %H:%M")
            raise Conflict(
                f"{code} 期选课尚未结束（选课截止 {until}），不能生成账单",
                hint="选课结束后再生成账单",
            )
        bulk_cache(session)
        tally = _tally(session, code)
        plan = _plan(tally, _open_bills(session, code))
        _apply(session, actor, ctx.now, code, plan, create=True)
        paid = session.execute(
            select(func.count()).where(B.c.period == code, B.c.state == "paid")
        ).scalar_one()
        total = sum(t.amount for t in tally.values())
        result = GenerateResult(
            period=code,
            bills=len(tally),
            amount=format_money(total),
            created=len(plan.create),
            updated=len(plan.change),
            unchanged=plan.unchanged,
            voided=len(plan.void),
            paid=int(paid),
        )
        audit.record(
            session,
            actor,
            ctx.now,
            "bill.generate",
            "period",
            code,
            after={
                "bills": result.bills,
                "amount": result.amount,
                "created": result.created,
                "updated": result.updated,
                "voided": result.voided,
            },
        )
        return result


def refresh_open_bills(
    session: Session, actor: Actor, now: datetime, period: str, school_ids: set[int]
) -> int:
    """Bring the unpaid bills of these schools in `period` up to date after enrollments went
    away (dropped, voided, undone), in the caller's transaction; a bill left without
    enrollments becomes void. Creates no bill (that is `bill generate`). Returns how many
    bills changed."""
    if not school_ids:
        return 0
    open_ = _open_bills(session, period, school_ids)
    if not open_:
        return 0
    tally = _tally(session, period, school_ids)
    plan = _plan({k: v for k, v in tally.items() if k in open_}, open_)
    plan.create = []
    _apply(session, actor, now, period, plan, create=False)
    return len(plan.change) + len(plan.void)


def list_bills(
    ctx: ServiceContext,
    *,
    period: str | None = None,
    school: str | None = None,
    unit: str | None = None,
    state: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[BillView], int]:
    """账单管理: the bills the actor may see (a school its own, a district its schools', an
    institution its unit's), newest period first.

    Raises InputRejected (1: unknown state), PermissionDenied (3), NotFound (4).
    """
    actor = ctx.require(*READ_ROLES, action="查看账单")
    if state is not None and state not in BILL_STATES:
        raise InputRejected(f"未知的账单状态：{state}（可选：{'、'.join(BILL_STATES)}）")
    stmt = bill_views_stmt().where(bill_scope(actor))
    with ctx.reading() as session:
        if period is not None:
            stmt = stmt.where(col(Bill.period) == get_period(session, period).code)
        if school is not None:
            found = get_school(session, actor, school.strip())
            stmt = stmt.where(col(Bill.school_id) == found.id)
        if unit:
            stmt = stmt.where(col(Bill.charging_unit) == unit.strip())
        if state is not None:
            stmt = stmt.where(col(Bill.state) == state)
        total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = session.execute(
            stmt.order_by(col(Bill.period).desc(), col(School.code), col(Bill.charging_unit))
            .order_by(col(Bill.id))
            .limit(limit)
            .offset(offset)
        ).all()
        return [bill_view(r) for r in rows], int(total)


@dataclass(frozen=True)
class BillItem:
    course_code: str
    course_name: str
    training_level: str
    enrollments: int
    price: str  # 培训费用 + 教材费用 per enrollment
    fee: str
    material_fee: str
    amount: str


@dataclass(frozen=True)
class PaymentLine:
    receipt_no: str
    amount: str
    paid_on: Any
    recorded_at: datetime
    batch_id: int | None


@dataclass(frozen=True)
class BillDetail:
    bill: BillView
    items: list[BillItem]
    payments: list[PaymentLine]


def bill_items(session: Session, bill: Bill) -> list[BillItem]:
    """What a bill is for, per course: an unpaid bill the school's unpaid enrollments of its
    unit, a paid one the enrollments it paid, a void one nothing."""
    if bill.state == "void":
        return []
    c = Course.__table__  # type: ignore[attr-defined]
    stmt = (
        select(c.c.code, c.c.name, c.c.level, c.c.fee, c.c.material_fee, func.count())
        .select_from(E.join(c, c.c.id == E.c.course_id))
        .where(E.c.period == bill.period, E.c.school_id == bill.school_id)
        .group_by(c.c.id, c.c.code, c.c.name, c.c.level, c.c.fee, c.c.material_fee)
        .order_by(c.c.code)
    )
    if bill.state == "paid":
        stmt = stmt.where(E.c.bill_id == bill.id)
    else:
        stmt = stmt.where(
            E.c.state == "active",
            E.c.paid == false(),
            c.c.charging_unit == bill.charging_unit,
            fee_due(c.c),
        )
    return [
        BillItem(
            code,
            name,
            level,
            int(n),
            format_money(fee + material),
            format_money(fee),
            format_money(material),
            format_money((fee + material) * n),
        )
        for code, name, level, fee, material, n in session.execute(stmt)
    ]


def show_bill(ctx: ServiceContext, bill_no: str) -> BillDetail:
    """One bill with its items (per course) and payments.

    Raises InvalidValue (1), PermissionDenied (3), NotFound (4).
    """
    actor = ctx.require(*READ_ROLES, action="查看账单")
    with ctx.reading() as session:
        bill, _ = get_bill(session, actor, bill_no)
        row = session.execute(bill_views_stmt().where(col(Bill.id) == bill.id)).one()
        payments = [
            PaymentLine(p.receipt_no, format_money(p.amount), p.paid_on, p.recorded_at, p.batch_id)
            for p in session.execute(
                select(Payment).where(col(Payment.bill_id) == bill.id).order_by(col(Payment.id))
            ).scalars()
        ]
        return BillDetail(bill_view(row), bill_items(session, bill), payments)
