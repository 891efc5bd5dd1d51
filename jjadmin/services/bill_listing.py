"""`bill list` on the DB-API path (no SQLAlchemy at start-up, issue 13): the bills the
actor may see — its schools' or its charging unit's, billing.common.bill_scope as SQL text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jjadmin.errors import InputRejected, NotFound
from jjadmin.rawdb import as_date, as_utc
from jjadmin.rules.codes import parse_period_code
from jjadmin.rules.money import format_money
from jjadmin.services.context import ServiceContext
from jjadmin.services.scope_rules import course_scope_sql, find_school, school_scope_sql

READ_ROLES = ("city", "district", "institution", "school", "system")
BILL_STATES = {"unpaid": "未缴费", "paid": "已缴费", "void": "已作废"}


@dataclass(frozen=True)
class BillView:
    bill_no: str
    period: str
    school_code: str
    school_name: str
    payer: str  # 学校公章名
    charging_unit: str
    name: str
    amount: str
    enrollments: int
    state: str
    created_at: datetime
    updated_at: datetime
    receipt_no: str | None
    paid_on: date | None
    paid_at: datetime | None


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
    school_scope, params = school_scope_sql(actor, "s")
    unit_scope, unit_params = course_scope_sql(actor, "b")
    params.update(unit_params)
    where = [f"(({school_scope}) OR ({unit_scope}))"]
    with ctx.raw_reading() as db:
        if period is not None:
            code = parse_period_code(period)
            if db.scalar("SELECT 1 FROM period WHERE code = :code", {"code": code}) is None:
                raise NotFound(f"期数不存在：{code}", hint="jjadmin period list 查看已有期数")
            where.append("b.period = :f_period")
            params["f_period"] = code
        if school is not None:
            school_id, _ = find_school(db, actor, school.strip())
            where.append("b.school_id = :f_school")
            params["f_school"] = school_id
        if unit:
            where.append("b.charging_unit = :f_unit")
            params["f_unit"] = unit.strip()
        if state is not None:
            where.append("b.state = :f_state")
            params["f_state"] = state
        clause = " AND ".join(where)
        base = " FROM bill b JOIN school s ON s.id = b.school_id WHERE " + clause
        total = int(db.scalar(f"SELECT count(*){base}", params) or 0)
        rows = db.rows(
            "SELECT b.bill_no, b.period, s.code, s.name, s.seal_name, b.charging_unit, b.name,"
            " b.amount, b.enrollments, b.state, b.created_at, b.updated_at, b.receipt_no,"
            f" b.paid_on, b.paid_at{base}"
            " ORDER BY b.period DESC, s.code, b.charging_unit, b.id LIMIT :lim OFFSET :off",
            {**params, "lim": limit, "off": offset},
        )
    return [_view(r) for r in rows], total


def _view(r: Any) -> BillView:
    return BillView(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        format_money(int(r[7])),
        int(r[8]),
        r[9],
        as_utc(r[10]),  # type: ignore[arg-type]
        as_utc(r[11]),  # type: ignore[arg-type]
        r[12],
        as_date(r[13]),
        as_utc(r[14]),
    )
