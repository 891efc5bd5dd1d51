"""缴费管理 reports: 单位缴费查询 (`bill summary`: per school and unit, billed / paid /
outstanding), 选课录取查询 (`bill admissions`, the fixed columns of SPEC §5) and the
学校交费申报表 (`bill declaration`). Files with names and payment data need the SMS
verification (seed: 导出或查看敏感信息)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Table, case, func, select
from sqlmodel import col

from jjadmin.clock import local
from jjadmin.models import Bill, Course, District, Enrollment, School, Teacher
from jjadmin.rules.money import chinese_capital, format_hours, format_money
from jjadmin.services.billing.common import READ_ROLES, bill_scope
from jjadmin.services.context import ServiceContext
from jjadmin.services.identity import require_verified
from jjadmin.services.period_lookup import get_period
from jjadmin.services.scope import course_clause, get_school, school_clause

__all__ = [
    "ADMISSION_COLUMNS",
    "AdmissionRow",
    "DeclarationData",
    "SummaryRow",
    "admissions",
    "declaration",
    "payment_summary",
]

E: Table = Enrollment.__table__  # type: ignore[attr-defined]
B: Table = Bill.__table__  # type: ignore[attr-defined]
PAID, UNPAID, FREE = "已缴费", "未缴费", "无需缴费"


@dataclass(frozen=True)
class SummaryRow:
    school_code: str
    school_name: str
    charging_unit: str
    bills: int
    enrollments: int
    billed: str
    paid: str
    outstanding: str


@dataclass
class Summary:
    period: str
    items: list[SummaryRow]
    billed: str
    paid: str
    outstanding: str


def payment_summary(
    ctx: ServiceContext, *, period: str, school: str | None = None, unit: str | None = None
) -> Summary:
    """单位缴费查询: per school and charging unit, what the bills (not void) ask for, what is
    paid and what is outstanding, in the actor's scope.

    Raises InvalidValue (1), PermissionDenied (3), NotFound (4).
    """
    actor = ctx.require(*READ_ROLES, action="查看单位缴费情况")
    paid_amount = case((B.c.state == "paid", B.c.amount), else_=0)
    open_amount = case((B.c.state == "unpaid", B.c.amount), else_=0)
    with ctx.reading() as session:
        code = get_period(session, period).code
        stmt = (
            select(
                col(School.code),
                col(School.name),
                B.c.charging_unit,
                func.count(),
                func.sum(B.c.enrollments),
                func.sum(B.c.amount),
                func.sum(paid_amount),
                func.sum(open_amount),
            )
            .select_from(B.join(School.__table__, col(School.id) == B.c.school_id))  # type: ignore[attr-defined]
            .where(B.c.period == code, B.c.state != "void", bill_scope(actor))
            .group_by(col(School.code), col(School.name), B.c.charging_unit)
            .order_by(col(School.code), B.c.charging_unit)
        )
        if school is not None:
            stmt = stmt.where(col(School.id) == get_school(session, actor, school.strip()).id)
        if unit:
            stmt = stmt.where(B.c.charging_unit == unit.strip())
        rows = session.execute(stmt).all()
    totals = [0, 0, 0]
    items = []
    for school_code, name, charging_unit, n, people, billed, paid, owed in rows:
        totals = [totals[0] + int(billed), totals[1] + int(paid), totals[2] + int(owed)]
        items.append(
            SummaryRow(
                school_code,
                name,
                charging_unit,
                int(n),
                int(people or 0),
                format_money(int(billed)),
                format_money(int(paid)),
                format_money(int(owed)),
            )
        )
    return Summary(code, items, *(format_money(t) for t in totals))


@dataclass(frozen=True)
class AdmissionRow:
    """One line of 选课录取查询 (SPEC §5), in its column order."""

    period: str
    district: str  # 行政区划
    school_name: str
    charging_unit: str
    subject: str  # 任教科目
    learner_no: str
    name: str
    course_code: str
    course_name: str
    attribute: str | None  # 课程属性
    hours: str
    fee: str
    material_fee: str
    amount: str  # 合计
    payment: str  # 支付状态


ADMISSION_COLUMNS = [
    ("period", "期数"),
    ("district", "行政区划"),
    ("school_name", "学校"),
    ("charging_unit", "收费单位"),
    ("subject", "任教科目"),
    ("learner_no", "学号"),
    ("name", "姓名"),
    ("course_code", "课程编号"),
    ("course_name", "课程名称"),
    ("attribute", "课程属性"),
    ("hours", "学时"),
    ("fee", "培训费用"),
    ("material_fee", "教材费用"),
    ("amount", "合计"),
    ("payment", "支付状态"),
]


def _payment_state(paid: bool, due: int) -> str:
    if due <= 0:
        return FREE
    return PAID if paid else UNPAID


def _admission_stmt(ctx: ServiceContext, code: str, school_id: int | None, unit: str | None) -> Any:
    actor = ctx.actor
    c = Course.__table__  # type: ignore[attr-defined]
    s = School.__table__  # type: ignore[attr-defined]
    t = Teacher.__table__  # type: ignore[attr-defined]
    d = District.__table__  # type: ignore[attr-defined]
    stmt = (
        select(
            E.c.period,
            d.c.name,
            s.c.name,
            c.c.charging_unit,
            t.c.subject,
            t.c.learner_no,
            t.c.name,
            c.c.code,
            c.c.name,
            c.c.attribute,
            c.c.hours,
            c.c.fee,
            c.c.material_fee,
            E.c.paid,
        )
        .select_from(
            E.join(c, c.c.id == E.c.course_id)
            .join(s, s.c.id == E.c.school_id)
            .join(d, d.c.code == s.c.district_code)
            .join(t, t.c.id == E.c.teacher_id)
        )
        .where(E.c.period == code, E.c.state == "active")
        .where(school_clause(actor, s.c) | course_clause(actor, c.c))
        .order_by(s.c.code, t.c.learner_no, c.c.code)
    )
    if school_id is not None:
        stmt = stmt.where(E.c.school_id == school_id)
    if unit:
        stmt = stmt.where(c.c.charging_unit == unit)
    return stmt


def admissions(
    ctx: ServiceContext, *, period: str, school: str | None = None, unit: str | None = None
) -> Iterator[AdmissionRow]:
    """选课录取查询: every active enrollment of the period in the actor's scope (a school its
    own, an institution its unit's courses), with what it costs and whether it is paid;
    streamed. Needs the SMS verification (names with payment data).

    Raises VerificationRequired / PermissionDenied (3), InvalidValue (1), NotFound (4).
    """
    ctx.require(*READ_ROLES, action="导出选课录取情况")
    require_verified(ctx, "导出选课录取查询（含学员姓名与缴费信息）")
    with ctx.reading() as session:
        code = get_period(session, period).code
        school_id = get_school(session, ctx.actor, school.strip()).id if school else None
    stmt = _admission_stmt(ctx, code, school_id, unit.strip() if unit else None)

    def rows() -> Iterator[AdmissionRow]:
        with ctx.reading() as session:
            for r in session.execute(stmt.execution_options(yield_per=2000)):
                due = int(r[11]) + int(r[12])
                yield AdmissionRow(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    r[7],
                    r[8],
                    r[9],
                    format_hours(r[10]),
                    format_money(int(r[11])),
                    format_money(int(r[12])),
                    format_money(due),
                    _payment_state(bool(r[13]), due),
                )

    return rows()


@dataclass(frozen=True)
class DeclarationLine:
    charging_unit: str
    course_code: str
    course_name: str
    enrollments: int
    price: str
    amount: str
    paid: str
    outstanding: str


@dataclass(frozen=True)
class DeclarationPerson:
    learner_no: str
    name: str
    course_code: str
    course_name: str
    amount: str
    payment: str


@dataclass
class DeclarationData:
    """学校交费申报表 of one school and period: per unit and course, and the roster."""

    period: str
    school_code: str
    school_name: str
    seal_name: str
    district: str
    lines: list[DeclarationLine]
    people: list[DeclarationPerson]
    total: str
    paid: str
    outstanding: str
    outstanding_in_words: str
    declared_on: date
    units: list[str] = field(default_factory=list)


def declaration(
    ctx: ServiceContext, *, period: str, school: str, unit: str | None = None
) -> DeclarationData:
    """学校交费申报表 (seed 培训缴费工作 ④): what one school owes per charging unit and course
    for the period (all, paid, still to pay, in figures and in capitals) and the list of its
    teachers' fee-due enrollments. Needs the SMS verification.

    Raises VerificationRequired / PermissionDenied (3), InvalidValue (1), NotFound (4).
    """
    actor = ctx.require("city", "district", "school", "system", action="生成学校交费申报表")
    require_verified(ctx, "生成学校交费申报表（含学员名单与缴费信息）")
    with ctx.reading() as session:
        code = get_period(session, period).code
        found = get_school(session, actor, school.strip())
        district = session.get(District, found.district_code)
        where = (found.code, found.name, found.seal_name)
        district_name = district.name if district is not None else found.district_code
        stmt = _admission_stmt(ctx, code, found.id, unit.strip() if unit else None)
        by_course: dict[tuple[str, str, str, int], list[int]] = defaultdict(lambda: [0, 0])
        people = []
        for r in session.execute(stmt):
            due = int(r[11]) + int(r[12])
            if due <= 0:
                continue
            tally = by_course[(r[3], r[7], r[8], due)]
            tally[0] += 1
            tally[1] += 1 if bool(r[13]) else 0
            people.append(
                DeclarationPerson(
                    r[5], r[6], r[7], r[8], format_money(due), _payment_state(bool(r[13]), due)
                )
            )
    lines = []
    sums = [0, 0]
    for (charging_unit, course_code, course_name, price), (n, paid_n) in sorted(by_course.items()):
        sums = [sums[0] + price * n, sums[1] + price * paid_n]
        lines.append(
            DeclarationLine(
                charging_unit,
                course_code,
                course_name,
                n,
                format_money(price),
                format_money(price * n),
                format_money(price * paid_n),
                format_money(price * (n - paid_n)),
            )
        )
    owed = sums[0] - sums[1]
    return DeclarationData(
        period=code,
        school_code=where[0],
        school_name=where[1],
        seal_name=where[2],
        district=district_name,
        lines=lines,
        people=people,
        total=format_money(sums[0]),
        paid=format_money(sums[1]),
        outstanding=format_money(owed),
        outstanding_in_words=chinese_capital(owed),
        declared_on=local(ctx.now).date(),
        units=sorted({line.charging_unit for line in lines}),
    )
