"""`batch list` and `audit list` on the DB-API path (no SQLAlchemy at start-up, issue 13):
the rows of the accounts in the actor's unit, through scope_rules.unit_scope_sql — the same
derivation as services/scope.unit_clause and the city's row-level security."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jjadmin.rawdb import as_json, as_utc, like_prefix
from jjadmin.services.context import ServiceContext
from jjadmin.services.scope_rules import unit_scope_sql


@dataclass(frozen=True)
class BatchView:
    id: int
    kind: str
    unit: str
    actor: str
    file_name: str
    sha256: str
    total: int
    created: int
    updated: int
    skipped: int
    rejected: int
    state: str
    started_at: datetime
    undone_at: datetime | None


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    batch_id: int | None


ROLES = ("city", "district", "school", "institution", "system")


def list_batches(ctx: ServiceContext, *, limit: int = 50) -> tuple[list[BatchView], int]:
    """Import batches of the actor's unit, newest first; returns (rows, total)."""
    actor = ctx.require(*ROLES, action="查看导入批次")
    where, params = unit_scope_sql(actor, "import_batch", "b")
    with ctx.raw_reading() as db:
        total = int(db.scalar(f"SELECT count(*) FROM import_batch b WHERE {where}", params) or 0)
        rows = db.rows(
            "SELECT b.id, b.kind, b.unit, b.actor, b.file_name, b.sha256, b.total, b.created,"
            " b.updated, b.skipped, b.rejected, b.state, b.started_at, b.undone_at"
            f" FROM import_batch b WHERE {where} ORDER BY b.id DESC LIMIT :lim",
            {**params, "lim": limit},
        )
    views = [
        BatchView(
            int(r[0]),
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            int(r[6]),
            int(r[7]),
            int(r[8]),
            int(r[9]),
            int(r[10]),
            r[11],
            as_utc(r[12]),  # type: ignore[arg-type]
            as_utc(r[13]),
        )
        for r in rows
    ]
    return views, total


def list_audit(
    ctx: ServiceContext,
    *,
    since: datetime | None = None,
    actor_name: str | None = None,
    action: str | None = None,
    limit: int = 100,
) -> tuple[list[AuditView], int]:
    """Audit rows visible to the actor, newest first; returns (rows, total)."""
    actor = ctx.require(*ROLES, action="查看审计日志")
    where, params = unit_scope_sql(actor, "audit_log", "a")
    terms = [where]
    with ctx.raw_reading() as db:
        if since is not None:
            terms.append("a.at >= :since")
            moment = since.astimezone(UTC)
            params["since"] = (
                moment.replace(tzinfo=None).isoformat(" ", "microseconds")
                if db.dialect == "sqlite"
                else moment
            )
        if actor_name:
            terms.append("a.actor = :actor_name")
            params["actor_name"] = actor_name
        if action:
            terms.append("a.action LIKE :action ESCAPE '/'")
            params["action"] = like_prefix(action)
        clause = " AND ".join(terms)
        total = int(db.scalar(f"SELECT count(*) FROM audit_log a WHERE {clause}", params) or 0)
        rows = db.rows(
            "SELECT a.id, a.at, a.actor, a.action, a.target_type, a.target, a.before, a.after,"
            f" a.batch_id FROM audit_log a WHERE {clause} ORDER BY a.id DESC LIMIT :lim",
            {**params, "lim": limit},
        )
    views = [
        AuditView(
            int(r[0]),
            as_utc(r[1]),  # type: ignore[arg-type]
            r[2],
            r[3],
            r[4],
            r[5],
            as_json(r[6]) if r[6] is not None else None,
            as_json(r[7]) if r[7] is not None else None,
            None if r[8] is None else int(r[8]),
        )
        for r in rows
    ]
    return views, total
