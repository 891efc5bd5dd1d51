"""`complaint window`: when teachers may complain about a year's 年度验证 (the city's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jjadmin.clock import local
from jjadmin.errors import Conflict, InputRejected, NotFound
from jjadmin.models import ComplaintWindow
from jjadmin.rawdb import RawReader, as_utc, bind_instant
from jjadmin.rules.windows import parse_window_time
from jjadmin.services import audit
from jjadmin.services.context import ServiceContext


@dataclass(frozen=True)
class WindowView:
    year: int
    opens_at: datetime
    closes_at: datetime


def _day(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m-%d %H:%M")


def describe(w: WindowView) -> str:
    return f"{w.year} 年度投诉时间为 {_day(w.opens_at)} 至 {_day(w.closes_at)}"


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise InputRejected(f"年度“{year}”无效")


def set_window(ctx: ServiceContext, *, year: int, opens: str, closes: str) -> WindowView:
    """Set (or move) the year's complaint window; dates are whole days (the end day
    included). Raises InputRejected (1: bad dates, end before start), PermissionDenied (3)."""
    actor = ctx.require("city", action="设置投诉时间")
    _check_year(year)
    opens_at = parse_window_time(opens, label="投诉开始时间", end_of_day=False)
    closes_at = parse_window_time(closes, label="投诉结束时间", end_of_day=True)
    if closes_at <= opens_at:
        raise InputRejected("投诉结束时间须晚于开始时间")
    with ctx.transaction() as s:
        found = s.get(ComplaintWindow, year)
        before = None
        if found is None:
            found = ComplaintWindow(
                year=year,
                opens_at=opens_at,
                closes_at=closes_at,
                set_by=actor.account_id,
                set_at=ctx.now,
            )
            s.add(found)
        else:
            before = {"from": found.opens_at, "to": found.closes_at}
            found.opens_at, found.closes_at = opens_at, closes_at
            found.set_by, found.set_at = actor.account_id, ctx.now
        audit.record(
            s,
            actor,
            ctx.now,
            "complaint.window",
            "complaint_window",
            str(year),
            before=before,
            after={"from": opens_at, "to": closes_at},
        )
    return WindowView(year, opens_at, closes_at)


def show_window(ctx: ServiceContext, *, year: int) -> WindowView:
    """The year's window (every operator and teacher may read it). Raises NotFound (4)."""
    ctx.require("city", "system", "district", "school", "institution", "teacher")
    with ctx.raw_reading() as db:
        found = window_of(db, year)
    if found is None:
        raise NotFound(f"{year} 年度未设置投诉时间", hint="市级：jjadmin complaint window --year …")
    return found


def window_of(db: RawReader, year: int) -> WindowView | None:
    row = db.one_or_none(
        "SELECT year, opens_at, closes_at FROM complaint_window WHERE year = :y", {"y": year}
    )
    return _view(row) if row is not None else None


def _view(row: tuple[object, ...]) -> WindowView:
    opens, closes = as_utc(row[1]), as_utc(row[2])
    assert opens is not None and closes is not None
    return WindowView(int(str(row[0])), opens, closes)


def open_window(db: RawReader, now: datetime) -> WindowView:
    """The window open at `now` (the latest year's when two overlap); otherwise Conflict
    (5) naming this year's window, or saying none is set."""
    at = bind_instant(db, now)
    row = db.one_or_none(
        "SELECT year, opens_at, closes_at FROM complaint_window "
        "WHERE opens_at <= :now AND closes_at >= :now ORDER BY year DESC LIMIT 1",
        {"now": at},
    )
    if row is not None:
        return _view(row)
    this_year = local(now).year
    upcoming = db.one_or_none(
        "SELECT year, opens_at, closes_at FROM complaint_window WHERE opens_at > :now "
        "ORDER BY opens_at LIMIT 1",
        {"now": at},
    )
    known = _view(upcoming) if upcoming is not None else window_of(db, this_year)
    if known is None:
        known = window_of(db, this_year - 1)
    if known is None:
        raise Conflict(f"现在不在投诉时间内：{this_year} 年度未设置投诉时间")
    raise Conflict(f"现在不在投诉时间内：{describe(known)}")
