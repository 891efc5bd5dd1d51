"""`period list` / `period show` on the DB-API path (no SQLAlchemy at start-up, issue 13):
the state of each period and the course/enrollment counts the actor may see — the course
visibility of course_listing, the enrollment scope of periods._enrollment_scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jjadmin.errors import NotFound
from jjadmin.rawdb import RawReader, as_utc, in_list
from jjadmin.rules.codes import parse_period_code
from jjadmin.rules.windows import period_state, state_label
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.course_listing import visible_sql

ANY_ROLE = ("city", "district", "institution", "school", "teacher", "system")


@dataclass(frozen=True)
class PeriodView:
    period: str
    select_from: datetime
    select_to: datetime
    pay_by: datetime
    state: str
    state_label: str
    courses: int
    enrollments: int
    last_closed_at: datetime | None


@dataclass(frozen=True)
class _Windows:
    select_from: datetime
    select_to: datetime
    pay_by: datetime


def _enrollment_sql(actor: Actor, params: dict[str, Any]) -> str:
    if actor.role in ("city", "system"):
        return "1 = 1"
    if actor.role == "district":
        params["e_district"] = actor.district_code
        return "e.school_id IN (SELECT es.id FROM school es WHERE es.district_code = :e_district)"
    if actor.role == "institution":
        params["e_inst"] = actor.institution
        return "e.course_id IN (SELECT ec.id FROM course ec WHERE ec.charging_unit = :e_inst)"
    if actor.acting_school_id is not None:
        params["e_school"] = actor.acting_school_id
        return "e.school_id = :e_school"
    params["e_teacher"] = actor.teacher_id
    return "e.teacher_id = :e_teacher"


def _views(db: RawReader, actor: Actor, now: datetime, rows: list[Any]) -> list[PeriodView]:
    codes = [str(r[0]) for r in rows]
    courses: dict[str, int] = {}
    enrollments: dict[str, int] = {}
    if codes:
        params: dict[str, Any] = {}
        listed = in_list("codes", codes, params)
        visible = visible_sql(db, actor, params)
        courses = {
            str(p): int(n)
            for p, n in db.rows(
                f"SELECT c.period, count(*) FROM course c WHERE c.period IN {listed}"
                f" AND {visible} GROUP BY c.period",
                params,
            )
        }
        eparams: dict[str, Any] = {"active": "active"}
        elisted = in_list("codes", codes, eparams)
        scope = _enrollment_sql(actor, eparams)
        enrollments = {
            str(p): int(n)
            for p, n in db.rows(
                f"SELECT e.period, count(*) FROM enrollment e WHERE e.period IN {elisted}"
                f" AND e.state = :active AND {scope} GROUP BY e.period",
                eparams,
            )
        }
    views = []
    for code, start, end, pay_by, closed in rows:
        w = _Windows(as_utc(start), as_utc(end), as_utc(pay_by))  # type: ignore[arg-type]
        state = period_state(w, now)
        views.append(
            PeriodView(
                str(code),
                w.select_from,
                w.select_to,
                w.pay_by,
                state,
                state_label(state),
                courses.get(str(code), 0),
                enrollments.get(str(code), 0),
                as_utc(closed),
            )
        )
    return views


_SELECT = "SELECT code, select_from, select_to, pay_by, last_closed_at FROM period"


def list_periods(
    ctx: ServiceContext, *, limit: int = 1000, offset: int = 0
) -> tuple[list[PeriodView], int]:
    """Every period, newest first, with its state and the course/enrollment counts the actor
    may see."""
    actor = ctx.require(*ANY_ROLE, action="查看期数")
    with ctx.raw_reading() as db:
        total = int(db.scalar("SELECT count(*) FROM period") or 0)
        rows = db.rows(
            f"{_SELECT} ORDER BY code DESC LIMIT :lim OFFSET :off", {"lim": limit, "off": offset}
        )
        return _views(db, actor, ctx.now, rows), total


def show_period(ctx: ServiceContext, *, code: str) -> PeriodView:
    """One period with its state and counts.

    Raises InvalidValue (1), NotFound (4).
    """
    actor = ctx.require(*ANY_ROLE, action="查看期数")
    period = parse_period_code(code)
    with ctx.raw_reading() as db:
        rows = db.rows(f"{_SELECT} WHERE code = :code", {"code": period})
        if not rows:
            raise NotFound(f"期数不存在：{period}", hint="jjadmin period list 查看已有期数")
        return _views(db, actor, ctx.now, rows)[0]
