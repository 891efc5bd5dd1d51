"""学号 allocation: a block of new learner numbers per year, from one set-based
UPDATE … RETURNING."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from jjadmin.clock import local
from jjadmin.errors import Conflict
from jjadmin.rules.codes import LEARNER_PREFIX, LEARNER_SEQ_MAX, format_learner_no
from jjadmin.services.teachers.common import SEQ, T


def allocate_learner_numbers(session: Session, now: datetime, count: int) -> list[str]:
    """A block of `count` new 学号 for the year of `now`, in one set-based UPDATE … RETURNING.

    The counter lives in `sequence` (one row per year), so concurrent runs never get the same
    number and a number is never issued twice. A new year's counter starts after the highest
    number already present (numbers carried over from an older system stay unique).

    Raises Conflict (5) when the year's 8-digit sequence would overflow.
    """
    if count <= 0:
        return []
    year = local(now).year
    yy = f"{year % 100:02d}"
    name = f"learner_no:{yy}"
    have = session.execute(select(SEQ.c.value).where(SEQ.c.name == name)).scalar_one_or_none()
    if have is None:
        prefix = f"{LEARNER_PREFIX}{yy}"
        top = session.execute(
            select(func.max(T.c.learner_no)).where(T.c.learner_no.startswith(prefix))
        ).scalar_one_or_none()
        start = int(top[len(prefix) :]) if top and top[len(prefix) :].isdigit() else 0
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql

            session.execute(
                postgresql.insert(SEQ).values(name=name, value=start).on_conflict_do_nothing()
            )
        else:
            from sqlalchemy.dialects import sqlite

            session.execute(
                sqlite.insert(SEQ).values(name=name, value=start).on_conflict_do_nothing()
            )
    last = session.execute(
        update(SEQ)
        .where(SEQ.c.name == name)
        .values(value=SEQ.c.value + count)
        .returning(SEQ.c.value)
    ).scalar_one()
    first = last - count + 1
    if last > LEARNER_SEQ_MAX:
        raise Conflict(f"{year} 年的学号已用尽（序号超过 {LEARNER_SEQ_MAX}）")
    # format_learner_no of each number, with the prefix and the range check done once
    prefix = format_learner_no(year, first)[:-8]
    format_learner_no(year, last)
    return [f"{prefix}{n:08d}" for n in range(first, last + 1)]
