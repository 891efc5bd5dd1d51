"""`transfer list` on the DB-API path (no SQLAlchemy at start-up, issue 13): transfers into
or out of the actor's schools (city: all), newest first — the scope of
transfers.views.list_transfers as SQL text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jjadmin.errors import InputRejected
from jjadmin.rawdb import as_utc
from jjadmin.services.context import ServiceContext
from jjadmin.services.scope_rules import school_scope_sql

STATES = ("pending", "approved", "rejected", "cancelled")
LEVEL_NAMES = {"district": "区级审批", "city": "市级审批"}


@dataclass(frozen=True)
class TransferView:
    id: int
    learner_no: str
    name: str
    from_school_code: str
    from_school_name: str
    to_school_code: str
    to_school_name: str
    state: str
    approver_level: str
    approver_district: str | None
    requested_at: datetime
    decided_at: datetime | None
    reason: str | None
    note: str | None
    requested_by: str | None
    decided_by: str | None


_SELECT = (
    "SELECT tr.id, t.learner_no, t.name, src.code, src.name, dst.code, dst.name, tr.state,"
    " tr.approver_level, tr.approver_district, tr.requested_at, tr.decided_at, tr.reason,"
    " tr.note, rq.username, dcd.username"
)
_FROM = (
    " FROM transfer tr JOIN teacher t ON t.id = tr.teacher_id"
    " JOIN school src ON src.id = tr.from_school_id JOIN school dst ON dst.id = tr.to_school_id"
    " LEFT JOIN account rq ON rq.id = tr.requested_by"
    " LEFT JOIN account dcd ON dcd.id = tr.decided_by"
)


def list_transfers(
    ctx: ServiceContext, *, state: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[TransferView], int]:
    """Transfers into or out of the actor's schools (city: all), newest first.

    Raises InputRejected (1, unknown state), PermissionDenied (3).
    """
    actor = ctx.require("city", "district", "school", "system", action="查看教师调动")
    if state is not None and state not in STATES:
        raise InputRejected(f"未知状态：{state}（可选：{'、'.join(STATES)}）")
    src_scope, params = school_scope_sql(actor, "src")
    dst_scope, dst_params = school_scope_sql(actor, "dst")
    params.update(dst_params)
    where = [f"(({src_scope}) OR ({dst_scope}))"]
    if state is not None:
        where.append("tr.state = :f_state")
        params["f_state"] = state
    clause = " AND ".join(where)
    with ctx.raw_reading() as db:
        total = int(db.scalar(f"SELECT count(*){_FROM} WHERE {clause}", params) or 0)
        rows = db.rows(
            f"{_SELECT}{_FROM} WHERE {clause}"
            " ORDER BY tr.requested_at DESC, tr.id DESC LIMIT :lim OFFSET :off",
            {**params, "lim": limit, "off": offset},
        )
    return [_view(r) for r in rows], total


def _view(r: Any) -> TransferView:
    return TransferView(
        int(r[0]),
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        as_utc(r[10]),  # type: ignore[arg-type]
        as_utc(r[11]),
        r[12],
        r[13],
        r[14],
        r[15],
    )
