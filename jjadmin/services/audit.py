"""Audit rows: every change, in the same transaction (SPEC §3); `audit list`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.models import AuditLog
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.history_views import AuditView as AuditView
from jjadmin.services.scope import unit_clause


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def record(
    session: Session,
    actor: Actor,
    now: datetime,
    action: str,
    target_type: str,
    target: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    batch_id: int | None = None,
) -> None:
    """Add one audit row to the current transaction."""
    session.add(
        AuditLog(
            at=now,
            actor_id=actor.account_id,
            actor=actor.username,
            action=action,
            target_type=target_type,
            target=str(target)[:100],
            before=jsonable(before) if before is not None else None,
            after=jsonable(after) if after is not None else None,
            batch_id=batch_id,
        )
    )


def list_audit(
    ctx: ServiceContext,
    *,
    since: datetime | None = None,
    actor_name: str | None = None,
    action: str | None = None,
    limit: int = 100,
) -> tuple[list[AuditView], int]:
    """Audit rows visible to the actor, newest first; returns (rows, total)."""
    from sqlalchemy import func

    actor = ctx.require(
        "city", "district", "school", "institution", "system", action="查看审计日志"
    )
    # rows by the accounts of the actor's unit (and below): the audit table's scope rule
    stmt = select(AuditLog).where(unit_clause(actor, "audit_log"))
    if since is not None:
        stmt = stmt.where(col(AuditLog.at) >= since)
    if actor_name:
        stmt = stmt.where(col(AuditLog.actor) == actor_name)
    if action:
        stmt = stmt.where(col(AuditLog.action).startswith(action))
    with ctx.reading() as session:
        total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = session.execute(stmt.order_by(col(AuditLog.id).desc()).limit(limit)).scalars()
        views = [
            AuditView(
                r.id or 0,
                r.at,
                r.actor,
                r.action,
                r.target_type,
                r.target,
                r.before,
                r.after,
                r.batch_id,
            )
            for r in rows
        ]
    return views, int(total)
