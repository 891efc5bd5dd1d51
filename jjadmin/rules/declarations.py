"""学时申报 (SPEC §6 Credits; seed 学员平台 · 学时申报: "个人申报——所在单位初审——上级教师继续
教育主管部门终审"): the states, the two review levels in their order, and the checks of one
declaration's values (year, dates, hours, hour type).

Pure: no database. A service asks `review_problem` whether a level may decide now.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from jjadmin.errors import InvalidValue
from jjadmin.rules.enums import check_in_list
from jjadmin.rules.ids import normalize_text
from jjadmin.rules.money import parse_hours

__all__ = [
    "APPROVED",
    "DISTRICT",
    "FIRST_STATE",
    "HOURS_MAX",
    "LEVELS",
    "LEVEL_LABELS",
    "RETURNED",
    "SCHOOL",
    "STATES",
    "WAITING",
    "after_approval",
    "check_dates",
    "check_year",
    "parse_declared_hours",
    "parse_hour_type",
    "parse_state",
    "review_problem",
]

SCHOOL = "school"  # 初审: the teacher's school
DISTRICT = "district"  # 终审: the school's district
LEVELS: tuple[str, ...] = (SCHOOL, DISTRICT)
LEVEL_LABELS = {SCHOOL: "初审", DISTRICT: "终审"}
REVIEWERS = {SCHOOL: "教师所在学校的继续教育管理员", DISTRICT: "学校所在区的培训管理员"}
WAITING = {SCHOOL: "待初审", DISTRICT: "待终审"}
APPROVED = "已通过"  # credited to the ledger
RETURNED = "已退回"  # 退回重新申报: the teacher changes it and submits a new round
STATES: tuple[str, ...] = (WAITING[SCHOOL], WAITING[DISTRICT], APPROVED, RETURNED)
FIRST_STATE = WAITING[SCHOOL]
DECISIONS = {"approve": "通过", "return": "退回重新申报"}

HOURS_MAX = Decimal(1000)  # one declaration; more is a typing slip
FIRST_YEAR = 2000
REASON_MAX = 500


def level_waiting(state: str) -> str | None:
    """The level a declaration in `state` waits for; None when it waits for none."""
    for level, waiting in WAITING.items():
        if waiting == state:
            return level
    return None


def after_approval(level: str) -> str:
    """初审 通过 → 待终审; 终审 通过 → 已通过."""
    return WAITING[DISTRICT] if level == SCHOOL else APPROVED


def review_problem(state: str, level: str) -> str | None:
    """Why `level` may not decide a declaration in `state` now (None: it may)."""
    label = LEVEL_LABELS[level]
    if state == APPROVED:
        return "该申报已通过终审，不能再审核"
    if state == RETURNED:
        return "该申报已退回，须由教师修改后重新提交才能审核"
    waiting = level_waiting(state)
    if waiting is None or waiting == level:
        return None
    if LEVELS.index(level) < LEVELS.index(waiting):
        return f"{label}已完成（现为{state}），不能重复审核"
    return f"该申报{state}，{label}须在{LEVEL_LABELS[waiting]}通过之后进行"


def parse_state(value: object) -> str:
    """审核状态 as the seed words it. Raises InvalidValue."""
    text = normalize_text(value)
    if text in STATES:
        return text
    raise InvalidValue(f"审核状态“{text}”无效，可选：{'、'.join(STATES)}", code="value-not-in-list")


def parse_hour_type(value: object) -> str:
    """学时类型: 公需科目、专业科目 or 个人选修 (value list). Raises InvalidValue."""
    return check_in_list("学时类型", value)


def parse_declared_hours(value: object) -> Decimal:
    """学时 of a declaration: more than 0, at most 1000, one decimal. Raises InvalidValue."""
    hours = parse_hours(value)
    if hours <= 0:
        raise InvalidValue("学时必须大于 0", code="hours-invalid")
    if hours > HOURS_MAX:
        raise InvalidValue(
            f"学时 {hours} 过大：一次申报最多 {HOURS_MAX} 学时", code="hours-invalid"
        )
    return hours


def parse_year(value: object) -> int:
    """培训年度: a four-digit year. Raises InvalidValue."""
    text = normalize_text(value)
    if text.endswith("年"):
        text = text[:-1]
    if text.endswith(".0"):  # a number cell read as float
        text = text[:-2]
    if not (len(text) == 4 and text.isdigit()):
        raise InvalidValue(f"培训年度“{text}”无效，请填写四位年份，如 2026", code="invalid-year")
    return int(text)


def check_year(year: int, *, today: date) -> int:
    """A 培训年度 between 2000 and this year. Raises InvalidValue."""
    if year < FIRST_YEAR or year > today.year:
        raise InvalidValue(
            f"培训年度 {year} 无效：应在 {FIRST_YEAR}–{today.year} 之间", code="invalid-year"
        )
    return year


def check_dates(year: int, start: date, end: date, *, today: date) -> None:
    """开始日期 ≤ 结束日期, both inside 培训年度, and the training over (not after today).

    Raises InvalidValue.
    """
    if end < start:
        raise InvalidValue(f"结束日期 {end} 早于开始日期 {start}", code="date-order")
    if start.year != year or end.year != year:
        raise InvalidValue(
            f"培训日期 {start}～{end} 不在培训年度 {year} 内", code="date-outside-year"
        )
    if end > today:
        raise InvalidValue(
            f"结束日期 {end} 晚于今天（{today}）：培训结束后才能申报学时", code="date-future"
        )
