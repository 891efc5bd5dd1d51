"""Pure rules: period state from the clock, window parsing and order, 校本 deadlines,
course visibility by level and the course cell parsers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest

from jjadmin.errors import InvalidValue
from jjadmin.rules.courses import (
    check_text,
    course_visible_to_teacher,
    parse_capacity,
    parse_status,
    parse_value_set,
)
from jjadmin.rules.windows import (
    STATE_LABELS,
    check_window_order,
    declaration_deadline,
    declarations_open,
    in_selection_window,
    parse_window_time,
    payment_closed,
    period_state,
    state_label,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class Windows:
    select_from: datetime = at("2026-03-01T00:00:00+08:00")
    select_to: datetime = at("2026-03-31T23:59:59+08:00")
    pay_by: datetime = at("2026-04-15T23:59:59+08:00")


@pytest.mark.parametrize(
    ("now", "state", "label"),
    [
        ("2026-02-28T23:59:59+08:00", "before_selection", "未开始选课"),
        ("2026-03-01T00:00:00+08:00", "selecting", "选课中"),
        ("2026-03-15T10:00:00+08:00", "selecting", "选课中"),
        ("2026-03-31T23:59:59+08:00", "selecting", "选课中"),
        ("2026-04-01T00:00:00+08:00", "selection_closed", "选课已结束"),
        ("2026-04-15T23:59:59+08:00", "selection_closed", "选课已结束"),
        ("2026-04-16T00:00:00+08:00", "payment_closed", "缴费已截止"),
    ],
)
def test_period_state_follows_the_clock_with_both_window_ends_included(
    now: str, state: str, label: str
) -> None:
    assert period_state(Windows(), at(now)) == state
    assert state_label(state) == label
    assert in_selection_window(Windows(), at(now)) is (state == "selecting")
    assert payment_closed(Windows(), at(now)) is (state == "payment_closed")


def test_period_state_compares_instants_not_wall_clock_text() -> None:
    # 2026-02-28T16:30Z is 2026-03-01 00:30 in Shanghai: selection has begun
    assert period_state(Windows(), at("2026-02-28T16:30:00+00:00")) == "selecting"


def test_every_state_has_a_chinese_label() -> None:
    assert set(STATE_LABELS) == {
        "before_selection",
        "selecting",
        "selection_closed",
        "payment_closed",
    }


def test_a_bare_date_starts_the_window_at_midnight_and_ends_it_at_the_last_second() -> None:
    start = parse_window_time("2026-03-01", label="选课开始时间", end_of_day=False)
    end = parse_window_time("2026-03-31", label="选课结束时间", end_of_day=True)
    assert start.isoformat() == "2026-03-01T00:00:00+08:00"
    assert end.isoformat() == "2026-03-31T23:59:59+08:00"


def test_a_naive_datetime_is_shanghai_time_and_an_offset_is_kept_as_the_same_instant() -> None:
    naive = parse_window_time("2026-03-01T09:30", label="x", end_of_day=True)
    utc = parse_window_time("2026-03-01T01:30:00Z", label="x", end_of_day=False)
    assert naive.isoformat() == "2026-03-01T09:30:00+08:00"
    assert utc == naive


def test_window_time_accepts_date_and_datetime_objects() -> None:
    assert parse_window_time(date(2026, 3, 1), label="x", end_of_day=True).hour == 23
    moment = at("2026-03-01T08:00:00+08:00")
    assert parse_window_time(moment, label="x", end_of_day=True) == moment


@pytest.mark.parametrize("text", ["2026-13-01", "下周一", "2026/03/01 25:00", "20260301x"])
def test_window_time_rejects_what_is_not_a_date(text: str) -> None:
    with pytest.raises(InvalidValue, match="选课开始时间") as exc:
        parse_window_time(text, label="选课开始时间", end_of_day=False)
    assert exc.value.code == "invalid-datetime"


def test_window_time_rejects_blank() -> None:
    with pytest.raises(InvalidValue, match="不能为空"):
        parse_window_time("  ", label="缴费截止时间", end_of_day=True)


def test_window_order_accepts_payment_closing_with_selection() -> None:
    w = Windows()
    check_window_order(w.select_from, w.select_to, w.select_to)


@pytest.mark.parametrize(
    ("select_from", "select_to", "pay_by", "message"),
    [
        ("2026-03-31", "2026-03-01", "2026-04-15", "必须晚于选课开始时间"),
        ("2026-03-01", "2026-03-01", "2026-04-15", "必须晚于选课开始时间"),
        ("2026-03-01", "2026-03-31", "2026-03-30", "不能早于选课结束时间"),
    ],
)
def test_window_order_rejects_reversed_dates(
    select_from: str, select_to: str, pay_by: str, message: str
) -> None:
    start = at(f"{select_from}T00:00:00+08:00")
    end = at(f"{select_to}T00:00:00+08:00")
    deadline = at(f"{pay_by}T00:00:00+08:00")
    with pytest.raises(InvalidValue, match=message):
        check_window_order(start, end, deadline)


def test_school_based_declarations_close_at_the_end_of_the_periods_year() -> None:
    assert declaration_deadline("2602").isoformat() == "2026-12-31T23:59:59+08:00"
    assert declarations_open("2601", at("2026-12-31T23:59:59+08:00"))
    assert not declarations_open("2601", at("2027-01-01T00:00:00+08:00"))
    assert declarations_open("2701", at("2027-01-01T00:00:00+08:00"))


@dataclass(frozen=True)
class C:
    level: str
    district_code: str | None = None
    school_id: int | None = None
    approval: str = "approved"


@pytest.mark.parametrize("level", ["全员培训", "专项培训", "提升工程"])
def test_city_special_and_ability_courses_are_open_to_every_teacher(level: str) -> None:
    assert course_visible_to_teacher(C(level), 7, "440104")
    assert course_visible_to_teacher(C(level), None, None)


def test_a_district_course_is_open_only_to_teachers_of_that_district() -> None:
    course = C("区级培训", district_code="440104")
    assert course_visible_to_teacher(course, 7, "440104")
    assert not course_visible_to_teacher(course, 7, "440105")
    assert not course_visible_to_teacher(course, 7, None)


def test_a_school_based_course_is_open_only_to_its_school_once_approved() -> None:
    course = C("校本培训", district_code="440104", school_id=7)
    assert course_visible_to_teacher(course, 7, "440104")
    assert not course_visible_to_teacher(course, 8, "440104")
    for approval in ("pending", "rejected"):
        assert not course_visible_to_teacher(
            C("校本培训", district_code="440104", school_id=7, approval=approval), 7, "440104"
        )


def test_an_unknown_level_is_open_to_nobody() -> None:
    assert not course_visible_to_teacher(C("外星培训"), 7, "440104")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("30", 30), (30, 30), (30.0, 30), ("30.0", 30), ("45人", 45)],
)
def test_capacity_is_a_positive_whole_number_or_blank(value: object, expected: int | None) -> None:
    assert parse_capacity(value) == expected


@pytest.mark.parametrize("value", ["abc", "0", 0, -5, "-5", 2.5, "2.5", True, Decimal("1e400")])
def test_capacity_rejects_anything_else(value: object) -> None:
    with pytest.raises(InvalidValue) as exc:
        parse_capacity(value)
    assert exc.value.code == "capacity-invalid"
    assert "容量" in exc.value.message


def test_status_is_online_or_offline() -> None:
    assert parse_status(" 下线 ") == "下线"
    with pytest.raises(InvalidValue, match="上线"):
        parse_status("停用")


def test_value_sets_normalise_separators_and_order_and_treat_unrestricted_as_blank() -> None:
    assert parse_value_set("任教学段", "初中,小学") == "小学、初中"
    assert parse_value_set("任教学段", "小学，初中；高中") == "小学、初中、高中"
    assert parse_value_set("任教学科", "语文") == "语文"
    assert parse_value_set("任教学科", "不限") is None
    assert parse_value_set("任教学科", "") is None


def test_value_sets_reject_a_value_outside_the_list() -> None:
    with pytest.raises(InvalidValue, match="任教学科"):
        parse_value_set("任教学科", "语文、炼丹")


def test_text_is_trimmed_and_limited() -> None:
    assert check_text("  张老师 ", label="主讲教师", max_length=10) == "张老师"
    assert check_text("", label="主讲教师", max_length=10) is None
    with pytest.raises(InvalidValue, match="不能为空"):
        check_text(" ", label="课程名称", max_length=10, required=True)
    with pytest.raises(InvalidValue, match="过长"):
        check_text("长" * 11, label="课程名称", max_length=10)
