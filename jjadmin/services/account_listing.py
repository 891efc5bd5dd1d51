"""`account list` on the DB-API path (no SQLAlchemy at start-up, issue 13): the accounts of
the actor's unit and below, through scope_rules.unit_scope_sql (the account table's rule, as
the city's row-level security applies it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jjadmin.rawdb import as_bool, as_utc
from jjadmin.rules.ids import mask_mobile
from jjadmin.services.context import ServiceContext
from jjadmin.services.scope_rules import unit_scope_sql


@dataclass(frozen=True)
class AccountView:
    username: str
    role: str
    name: str
    mobile: str | None
    district_code: str | None
    school_code: str | None
    institution: str | None
    disabled: bool
    locked: bool
    created_at: datetime


def list_accounts(ctx: ServiceContext, *, include_teachers: bool = False) -> list[AccountView]:
    actor = ctx.require("city", "district", "school", "institution", action="查看管理员账号")
    where, params = unit_scope_sql(actor, "account", "a")
    if not include_teachers:
        where = f"({where}) AND a.role <> :teacher"
        params["teacher"] = "teacher"
    with ctx.raw_reading() as db:
        rows = db.rows(
            "SELECT a.username, a.role, a.name, a.mobile, a.district_code, s.code,"
            " a.institution, a.disabled, a.locked_at, a.created_at"
            f" FROM account a LEFT JOIN school s ON s.id = a.school_id WHERE {where}"
            " ORDER BY a.id",
            params,
        )
    return [
        AccountView(
            r[0],
            r[1],
            r[2],
            mask_mobile(r[3]) if r[3] else None,
            r[4],
            r[5],
            r[6],
            as_bool(r[7]),
            r[8] is not None,
            as_utc(r[9]),  # type: ignore[arg-type]
        )
        for r in rows
    ]
