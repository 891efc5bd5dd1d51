"""`complaint list/show/stats` and the teacher's own (`me complaint list/show`)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from decimal import Decimal

from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.rawdb import as_utc
from jjadmin.rules.ids import normalize_text
from jjadmin.services.complaints.common import (
    CLOSED,
    OPEN,
    READERS,
    VIEW_SQL,
    ComplaintView,
    parse_state,
    replies,
    view,
    visible_sql,
)
from jjadmin.services.context import ServiceContext
from jjadmin.services.scope_rules import OUT_OF_SCOPE, find_school


def _actor(ctx: ServiceContext, own: bool):  # type: ignore[no-untyped-def]
    if own:
        actor = ctx.require("teacher", action="查看本人的投诉")
        if actor.teacher_id is None:
            raise PermissionDenied("只有教师本人有自己的投诉记录")
        return actor
    return ctx.require(*READERS, action="查看投诉")


def list_complaints(
    ctx: ServiceContext,
    *,
    state: str | None = None,
    school: str | None = None,
    year: int | None = None,
    own: bool = False,
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[ComplaintView], int]:
    """Complaints in the actor's scope (or the teacher's own), newest first.

    Raises InvalidValue (1: unknown state), PermissionDenied (3), NotFound (4: school)."""
    actor = _actor(ctx, own)
    where, params = visible_sql(actor, own=own)
    conditions = [where]
    if state:
        conditions.append("c.state = :f_state")
        params["f_state"] = parse_state(state)
    if year is not None:
        conditions.append("c.year = :f_year")
        params["f_year"] = year
    with ctx.raw_reading() as db:
        if school:
            code = normalize_text(school)
            find_school(db, actor, code)
            conditions.append("s.code = :f_school")
            params["f_school"] = code
        sql = f"{VIEW_SQL} WHERE {' AND '.join(conditions)}"
        total = int(db.scalar(f"SELECT count(*) FROM ({sql}) q", params) or 0)
        rows = db.rows(
            f"{sql} ORDER BY c.filed_at DESC, c.id DESC LIMIT :limit OFFSET :offset",
            {**params, "limit": limit, "offset": offset},
        )
    return [view(r) for r in rows], total


def show_complaint(ctx: ServiceContext, complaint_id: int, *, own: bool = False) -> ComplaintView:
    """One complaint with every reply. Raises PermissionDenied (3), NotFound (4)."""
    actor = _actor(ctx, own)
    where, params = visible_sql(actor, own=own)
    params["id"] = complaint_id
    with ctx.raw_reading() as db:
        row = db.one_or_none(f"{VIEW_SQL} WHERE c.id = :id AND {where}", params)
        if row is None:
            if db.scalar("SELECT 1 FROM complaint WHERE id = :id", {"id": complaint_id}) is None:
                raise NotFound(f"投诉不存在：{complaint_id}")
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看本单位范围内的投诉")
        found = view(row)
        found.replies = replies(db, complaint_id)
    return found


@dataclass
class SchoolStats:
    school_code: str
    school_name: str
    district_code: str
    filed: int
    replied: int
    closed: int
    open: int
    median_days_to_reply: Decimal | None


_STATS = """
SELECT s.code, s.name, s.district_code, count(*),
       sum(CASE WHEN c.replied_at IS NOT NULL THEN 1 ELSE 0 END),
       sum(CASE WHEN c.state = :closed THEN 1 ELSE 0 END),
       sum(CASE WHEN c.state = :open THEN 1 ELSE 0 END)
FROM complaint c JOIN school s ON s.id = c.school_id
WHERE {where}
GROUP BY s.code, s.name, s.district_code
ORDER BY s.district_code, s.code
"""


def complaint_stats(ctx: ServiceContext, *, year: int | None = None) -> list[SchoolStats]:
    """投诉统计 per school of the actor's scope: filed, replied (at least once), closed,
    open (待处理: neither replied nor closed), and the median days from filing to the
    first reply. One GROUP BY; the medians from the replied complaints' two dates."""
    actor = ctx.require(*READERS, action="查看投诉统计")
    where, params = visible_sql(actor)
    params.update(closed=CLOSED, open=OPEN)
    if year is not None:
        where = f"{where} AND c.year = :f_year"
        params["f_year"] = year
    with ctx.raw_reading() as db:
        rows = db.rows(_STATS.format(where=where), params)
        delays: dict[str, list[float]] = {}
        for code, filed_at, replied_at in db.rows(
            "SELECT s.code, c.filed_at, c.replied_at FROM complaint c "
            f"JOIN school s ON s.id = c.school_id WHERE {where} AND c.replied_at IS NOT NULL",
            params,
        ):
            start, end = as_utc(filed_at), as_utc(replied_at)
            assert start is not None and end is not None
            delays.setdefault(str(code), []).append((end - start).total_seconds() / 86400)
    out = []
    for r in rows:
        days = delays.get(str(r[0]))
        median = Decimal(str(statistics.median(days))).quantize(Decimal("0.1")) if days else None
        out.append(
            SchoolStats(
                str(r[0]),
                str(r[1]),
                str(r[2]),
                int(r[3]),
                int(r[4] or 0),
                int(r[5] or 0),
                int(r[6] or 0),
                median,
            )
        )
    return out
