"""What the billing modules share: bill states, who sees which bill, the period lock, the
rule for "a fee was due", and the bill view."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.models import Bill, Course, Period, School, Teacher
from jjadmin.rules.billing import normalize_bill_no
from jjadmin.rules.codes import normalize_learner_no, parse_period_code
from jjadmin.rules.enums import TrainingLevel
from jjadmin.rules.ids import normalize_text, parse_id_number
from jjadmin.rules.money import format_money
from jjadmin.services.bill_listing import BillView as BillView
from jjadmin.services.billing.locks import period_lock_key
from jjadmin.services.context import Actor
from jjadmin.services.scope import OUT_OF_SCOPE, course_clause, school_clause
from jjadmin.services.scope_rules import course_in_scope, school_in_scope

__all__ = [
    "BILL_STATES",
    "BillView",
    "CITY_LEVEL",
    "DISTRICT_LEVEL",
    "bill_in_scope",
    "bill_scope",
    "bill_view",
    "bill_views_stmt",
    "fee_due",
    "get_bill",
    "lock_period",
    "teacher_by_key",
]

BILL_STATES = {"unpaid": "未缴费", "paid": "已缴费", "void": "已作废"}
CITY_LEVEL = TrainingLevel.CITY_WIDE.value  # 全员培训: flagged and cleared by the city
DISTRICT_LEVEL = TrainingLevel.DISTRICT.value  # 区级培训: by the course's district
READ_ROLES = ("city", "district", "institution", "school", "system")


def fee_due(course: Any = Course) -> ColumnElement[bool]:
    """A fee was due for an enrollment of this course: 培训费用 + 教材费用 > 0."""
    due: ColumnElement[bool] = (course.fee + course.material_fee) > 0
    return due


def lock_period(session: Session, code: str, *, exclusive: bool) -> Period:
    """The period, with its billing lock held for the rest of this transaction.

    PostgreSQL: a transaction-scoped advisory lock named after the period, exclusive for the
    close and bill generation, shared for a payment, a clearing or a drop, so that the close
    waits for payments in flight and they wait for it. (Not a row lock on `period`: every
    flag and bill the close inserts checks its foreign key with FOR KEY SHARE on that row,
    and a transaction adding those to its own FOR NO KEY UPDATE grows one multixact per
    insert — quadratic, minutes at 100,000 flags.) SQLite: every write transaction already
    holds the database's write lock (BEGIN IMMEDIATE). Raises InvalidValue (1), NotFound (4).
    """
    code = parse_period_code(code)
    period = session.execute(select(Period).where(col(Period.code) == code)).scalar_one_or_none()
    if period is None:
        raise NotFound(f"期数不存在：{code}", hint="jjadmin period list 查看已有期数")
    if session.get_bind().dialect.name == "postgresql":
        fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        session.execute(text(f"SELECT {fn}(:k)"), {"k": period_lock_key(code)})
    return period


BULK_CACHE_KIB = 131_072


def bulk_cache(session: Session) -> None:
    """SQLite: a 128 MB page cache for this connection before a statement that touches a
    large part of the enrollment table (the default 2 MB spills dirty pages to the WAL in
    the middle of the transaction and reads them back: about twice the time)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"PRAGMA cache_size = -{BULK_CACHE_KIB}"))


def bill_scope(actor: Actor) -> ColumnElement[bool]:
    """Bills the actor may see (query joined with School): its schools' (city, district,
    school) or its charging unit's (institution)."""
    return or_(school_clause(actor, School), course_clause(actor, Bill))


def bill_in_scope(actor: Actor, bill: Bill, school: Any) -> bool:
    return school_in_scope(actor, school) or course_in_scope(actor, bill)


def bill_views_stmt() -> Any:
    return select(
        Bill,
        col(School.code),
        col(School.name),
        col(School.seal_name),
    ).join(School, col(School.id) == col(Bill.school_id))


def bill_view(row: Any) -> BillView:
    b, code, school_name, seal = row
    return BillView(
        bill_no=b.bill_no,
        period=b.period,
        school_code=code,
        school_name=school_name,
        payer=seal,
        charging_unit=b.charging_unit,
        name=b.name,
        amount=format_money(b.amount),
        enrollments=b.enrollments,
        state=b.state,
        created_at=b.created_at,
        updated_at=b.updated_at,
        receipt_no=b.receipt_no,
        paid_on=b.paid_on,
        paid_at=b.paid_at,
    )


def get_bill(
    session: Session, actor: Actor, bill_no: str, *, for_update: bool = False
) -> tuple[Bill, School]:
    """The bill with `bill_no` and its school, if the actor may see it.

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3: another unit's bill; the
    message says nothing about it).
    """
    no = normalize_bill_no(bill_no)
    stmt = select(Bill).where(col(Bill.bill_no) == no)
    if for_update:
        stmt = stmt.with_for_update()
    bill = session.execute(stmt).scalar_one_or_none()
    if bill is None:
        raise NotFound(f"账单不存在：{no}", hint="jjadmin bill list --period 期数 查看账单")
    school = session.get(School, bill.school_id)
    assert school is not None
    if not bill_in_scope(actor, bill, school):
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看本单位的账单")
    return bill, school


def course_fees(
    session: Session, period: str, units: Iterable[str] | None = None
) -> dict[int, int]:
    """Course id → 培训费用 + 教材费用 (fen) for the period's courses with a fee due."""
    stmt = select(col(Course.id), col(Course.fee) + col(Course.material_fee)).where(
        col(Course.period) == period, fee_due()
    )
    if units is not None:
        stmt = stmt.where(col(Course.charging_unit).in_(sorted(set(units))))
    return {int(i or 0): int(f) for i, f in session.execute(stmt).all()}


def audit_many(
    session: Session,
    actor: Actor,
    now: datetime,
    entries: Iterable[tuple[str, str, str, dict[str, Any] | None, dict[str, Any] | None]],
    *,
    batch_id: int | None = None,
) -> int:
    """Audit rows (action, target type, target, before, after) in one executemany insert."""
    from sqlalchemy import insert

    from jjadmin.models import AuditLog
    from jjadmin.services.audit import jsonable

    rows = [
        {
            "at": now,
            "actor_id": actor.account_id,
            "actor": actor.username,
            "action": action,
            "target_type": target_type,
            "target": target[:100],
            "before": jsonable(before) if before is not None else None,
            "after": jsonable(after) if after is not None else None,
            "batch_id": batch_id,
        }
        for action, target_type, target, before, after in entries
    ]
    if rows:
        session.execute(insert(AuditLog), rows)
    return len(rows)


def teacher_by_key(session: Session, key: str, now: datetime) -> Teacher:
    """The teacher whose 学号 or 身份证号 is `key`. Raises InvalidValue (1), NotFound (4)."""
    text = normalize_text(key).upper()
    if len(text) == 14 and text.isdigit():
        column, value = col(Teacher.learner_no), normalize_learner_no(text)
        missing = f"学号不存在：{value}"
    else:
        column, value = col(Teacher.id_number), parse_id_number(text, today=now.date()).value
        missing = "没有该身份证号的教师"
    teacher = session.execute(select(Teacher).where(column == value)).scalar_one_or_none()
    if teacher is None:
        raise NotFound(missing)
    return teacher
