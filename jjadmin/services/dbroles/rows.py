"""Row-level security as a service meets it: whether it applies to this connection, and
locking rows a role may read but not change (PostgreSQL's FOR UPDATE needs UPDATE rights).

An institution giving a 专项 application its last approval locks the applicant's teacher row
(as every enrolling path does, against a concurrent archive); its login role reads that row
but may not update it, so the owner's function `jjadmin_lock_teachers` takes the lock for it
— for rows the role can read, nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.models import Teacher


def row_security(session: Session, table: str = "teacher") -> bool:
    """Whether row-level security limits what this connection reads of `table` (a city's
    account role; never on SQLite, never for the owner)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    found = session.execute(text("SELECT row_security_active(:t)"), {"t": table}).scalar()
    return bool(found)


def lock_teachers(session: Session, ids: Sequence[int]) -> None:
    """SELECT … FOR UPDATE the teachers `ids`, in id order."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    if row_security(session):
        session.execute(
            text("SELECT jjadmin_lock_teachers(CAST(:ids AS integer[]))"), {"ids": wanted}
        )
        return
    session.execute(
        select(col(Teacher.id))
        .where(col(Teacher.id).in_(wanted))
        .order_by(col(Teacher.id))
        .with_for_update()
    ).all()
