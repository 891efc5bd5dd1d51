"""`school list` / `school show` on the DB-API path (no SQLAlchemy at start-up, issue 13).
The same rules as before: the scope from scope_rules (an institution reads the whole
directory), a district outside the actor's scope is exit 3, 在职 teachers counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jjadmin.errors import PermissionDenied
from jjadmin.rawdb import RawReader, as_utc, in_list
from jjadmin.services.context import ServiceContext
from jjadmin.services.scope_rules import (
    OUT_OF_SCOPE,
    district_in_scope,
    find_school,
    school_scope_sql,
)


@dataclass(frozen=True)
class SchoolView:
    school_code: str
    name: str
    district_code: str
    district_name: str
    school_type: str
    seal_name: str
    town: str
    nature: str
    head_name: str
    head_mobile: str
    teachers: int
    created_at: datetime
    updated_at: datetime


_SELECT = (
    "SELECT s.id, s.code, s.name, s.district_code, d.name, s.school_type, s.seal_name, s.town,"
    " s.nature, s.head_name, s.head_mobile, s.created_at, s.updated_at"
    " FROM school s JOIN district d ON d.code = s.district_code"
)


def _views(db: RawReader, rows: list[tuple[Any, ...]]) -> list[SchoolView]:
    counts: dict[int, int] = {}
    if rows:
        params: dict[str, Any] = {"active": "在职"}
        ids = in_list("ids", [int(r[0]) for r in rows], params)
        counts = {
            int(sid): int(n)
            for sid, n in db.rows(
                f"SELECT school_id, count(*) FROM teacher WHERE school_id IN {ids}"
                " AND status = :active GROUP BY school_id",
                params,
            )
        }
    return [
        SchoolView(
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            counts.get(int(r[0]), 0),
            as_utc(r[11]),  # type: ignore[arg-type]
            as_utc(r[12]),  # type: ignore[arg-type]
        )
        for r in rows
    ]


def list_schools(
    ctx: ServiceContext, *, district: str | None = None, limit: int = 1000, offset: int = 0
) -> tuple[list[SchoolView], int]:
    """Schools in the actor's scope, optionally one district.

    Raises PermissionDenied (3): a district outside the actor's scope.
    """
    actor = ctx.require("city", "district", "school", "institution", "system", action="查看学校")
    where: list[str] = []
    params: dict[str, Any] = {}
    if actor.role != "institution":
        scope, params = school_scope_sql(actor, "s")
        where.append(f"({scope})")
    if district:
        if actor.role == "district" and not district_in_scope(actor, district):
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看本单位管辖范围内的学校")
        where.append("s.district_code = :f_district")
        params["f_district"] = district
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    with ctx.raw_reading() as db:
        total = int(db.scalar(f"SELECT count(*) FROM school s{clause}", params) or 0)
        rows = db.rows(
            f"{_SELECT}{clause} ORDER BY s.code LIMIT :lim OFFSET :off",
            {**params, "lim": limit, "off": offset},
        )
        return _views(db, rows), total


def show_school(ctx: ServiceContext, code: str) -> SchoolView:
    """Raises NotFound (4) or PermissionDenied (3)."""
    actor = ctx.require("city", "district", "school", "system", action="查看学校")
    with ctx.raw_reading() as db:
        school_id, _ = find_school(db, actor, code.strip())
        rows = db.rows(f"{_SELECT} WHERE s.id = :id", {"id": school_id})
        return _views(db, rows)[0]
