"""A period by its code, and the current period: the lookups that courses, enrollment and
the period commands share (below them all, so that none of them imports another for it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import NotFound
from jjadmin.models import Period
from jjadmin.rules.codes import parse_period_code


def get_period(session: Session, code: str, *, for_update: bool = False) -> Period:
    """The period with `code`.

    Raises InvalidValue (1, malformed code), NotFound (4).
    """
    code = parse_period_code(code)
    stmt = select(Period).where(col(Period.code) == code)
    if for_update:
        stmt = stmt.with_for_update()
    period = session.execute(stmt).scalar_one_or_none()
    if period is None:
        raise NotFound(f"期数不存在：{code}", hint="jjadmin period list 查看已有期数")
    return period


def current_period_code(session: Session, now: datetime) -> str | None:
    """The period whose selection window contains `now`; else the latest one already begun
    (by selection start); else None."""
    inside = session.execute(
        select(col(Period.code))
        .where(col(Period.select_from) <= now, col(Period.select_to) >= now)
        .order_by(col(Period.select_from).desc())
        .limit(1)
    ).scalar_one_or_none()
    if inside is not None:
        return inside
    return session.execute(
        select(col(Period.code))
        .where(col(Period.select_from) <= now)
        .order_by(col(Period.select_from).desc(), col(Period.code).desc())
        .limit(1)
    ).scalar_one_or_none()
