"""The current period on the DB-API path: what `--period` means when it is left out.

The same rule as `period_lookup.current_period_code` (the period whose selection window holds
now; else the latest already begun), read without SQLAlchemy so that a list command which
defaults its period stays on the fast start-up path. A handful of rows: judged in Python.
"""

from __future__ import annotations

from jjadmin.errors import NotFound
from jjadmin.rawdb import as_utc
from jjadmin.services.context import ServiceContext


def current_period(ctx: ServiceContext) -> str:
    """The current period's code.

    Raises NotFound (4) when no period has begun yet.
    """
    with ctx.raw_reading() as db:
        rows = db.rows("SELECT code, select_from, select_to FROM period")
    now = ctx.now
    periods = [(code, as_utc(start), as_utc(end)) for code, start, end in rows]
    inside = [p for p in periods if p[1] and p[2] and p[1] <= now <= p[2]]
    if inside:
        return str(max(inside, key=lambda p: p[1])[0])  # type: ignore[arg-type, return-value]
    begun = [p for p in periods if p[1] and p[1] <= now]
    if begun:
        return str(max(begun, key=lambda p: (p[1], p[0]))[0])  # type: ignore[arg-type, return-value]
    raise NotFound(
        "还没有已开始的期数，请用 --period 指定期数", hint="jjadmin period list 查看已有期数"
    )
