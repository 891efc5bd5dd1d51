"""Selection and payment windows of a period, and the school-based course deadlines (SPEC §6).

Every function takes `now` as a parameter: the clock is the caller's business (JJADMIN_NOW).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Protocol

from jjadmin.clock import TZ
from jjadmin.errors import InvalidValue
from jjadmin.rules.codes import period_year
from jjadmin.rules.ids import normalize_text

__all__ = [
    "BEFORE_SELECTION",
    "PAYMENT_CLOSED",
    "SELECTING",
    "SELECTION_CLOSED",
    "STATE_LABELS",
    "PeriodWindows",
    "check_window_order",
    "declaration_deadline",
    "declarations_open",
    "in_selection_window",
    "parse_window_time",
    "payment_closed",
    "period_state",
    "school_based_enrollment_open",
    "state_label",
]

BEFORE_SELECTION = "before_selection"
SELECTING = "selecting"
SELECTION_CLOSED = "selection_closed"
PAYMENT_CLOSED = "payment_closed"

STATE_LABELS: dict[str, str] = {
    BEFORE_SELECTION: "未开始选课",
    SELECTING: "选课中",
    SELECTION_CLOSED: "选课已结束",
    PAYMENT_CLOSED: "缴费已截止",
}

_END_OF_DAY = time(23, 59, 59)
_BARE_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class PeriodWindows(Protocol):
    """Anything with the three instants of a period (models.Period, a view, a test stub)."""

    @property
    def select_from(self) -> datetime: ...

    @property
    def select_to(self) -> datetime: ...

    @property
    def pay_by(self) -> datetime: ...


def period_state(period: PeriodWindows, now: datetime) -> str:
    """before_selection | selecting | selection_closed | payment_closed.

    The selection window includes both ends; payment closes after `pay_by`.
    """
    if now < period.select_from:
        return BEFORE_SELECTION
    if now <= period.select_to:
        return SELECTING
    if now <= period.pay_by:
        return SELECTION_CLOSED
    return PAYMENT_CLOSED


def state_label(state: str) -> str:
    """The Chinese label of a period state (未开始选课, 选课中, 选课已结束, 缴费已截止)."""
    return STATE_LABELS[state]


def in_selection_window(period: PeriodWindows, now: datetime) -> bool:
    """True from `select_from` to `select_to`, both included (SPEC §6 Enroll)."""
    return period_state(period, now) == SELECTING


def payment_closed(period: PeriodWindows, now: datetime) -> bool:
    """True once `pay_by` has passed (`period close` may run)."""
    return now > period.pay_by


def parse_window_time(value: object, *, label: str, end_of_day: bool) -> datetime:
    """An aware instant from ISO 8601 text, a date or a datetime (Asia/Shanghai when naive).

    A bare date means the start of that day, or its end (23:59:59) when `end_of_day`:
    `--select-to 2026-03-31` keeps selection open all of March 31st.
    Raises InvalidValue (required, invalid-datetime).
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, _END_OF_DAY if end_of_day else time.min)
    else:
        text = normalize_text(value)
        if not text:
            raise InvalidValue(f"{label}不能为空", code="required")
        try:
            if _BARE_DATE.fullmatch(text):
                day = date.fromisoformat(text)
                moment = datetime.combine(day, _END_OF_DAY if end_of_day else time.min)
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidValue(
                f"{label}“{text}”无效，请填写日期或时间，"
                "如 2026-03-01 或 2026-03-01T09:00:00+08:00",
                code="invalid-datetime",
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TZ)
    return moment.astimezone(TZ)


def check_window_order(select_from: datetime, select_to: datetime, pay_by: datetime) -> None:
    """Selection must end after it starts, and payment may not close before selection does.

    Raises InvalidValue (window-order).
    """
    if select_to <= select_from:
        raise InvalidValue(
            f"选课结束时间（{_show(select_to)}）必须晚于选课开始时间（{_show(select_from)}）",
            code="window-order",
        )
    if pay_by < select_to:
        raise InvalidValue(
            f"缴费截止时间（{_show(pay_by)}）不能早于选课结束时间（{_show(select_to)}）",
            code="window-order",
        )


def declaration_deadline(period_code: str) -> datetime:
    """The last instant for declaring or reviewing a school-based course of a period:
    12-31 23:59:59 (Asia/Shanghai) of the period's year (seed: 校本培训管理, 注意 1)."""
    return datetime.combine(date(period_year(period_code), 12, 31), _END_OF_DAY, tzinfo=TZ)


def declarations_open(period_code: str, now: datetime) -> bool:
    """True until the declaration/review deadline of the period's year has passed."""
    return now <= declaration_deadline(period_code)


def school_based_enrollment_open(period_code: str, now: datetime) -> bool:
    """校本培训 enrollment (招生录取) is not bound to the selection window: the school enrolls
    its teachers in an approved course until 12-31 23:59:59 of the course's year (seed:
    校本培训管理 — "经批复同意的学校，必须……对本校教师进行招生录取，才能承认学时"; SPEC §6
    Enroll)."""
    return now <= declaration_deadline(period_code)


def _show(moment: datetime) -> str:
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")
