"""Unit tests for jjadmin.rules.enums (value lists, districts, state enums)."""

from __future__ import annotations

from enum import StrEnum

import pytest

from jjadmin.errors import InvalidValue
from jjadmin.rules.enums import (
    BillState,
    EnrollmentState,
    ReviewState,
    Role,
    TeacherStatus,
    TrainingLevel,
    TransferState,
    check_in_list,
    districts,
    list_names,
    value_list,
)

SPEC_LISTS = [
    "任教学段",
    "任教学科",
    "职称",
    "在岗状态",
    "办学类型",
    "学校性质",
    "课程类型",
    "学时类型",
    "培训级别",
    "提升工程类别",
]


@pytest.mark.parametrize("name", SPEC_LISTS)
def test_every_value_list_named_in_the_spec_is_shipped_and_not_empty(name: str) -> None:
    values = value_list(name)
    assert values
    assert len(set(values)) == len(values)
    assert name in list_names()


def test_value_list_keeps_file_order() -> None:
    assert value_list("任教学段")[:3] == ("幼儿园", "小学", "初中")
    assert value_list("学时类型") == ("公需科目", "专业科目", "个人选修")


def test_value_list_refuses_an_unknown_list_name() -> None:
    with pytest.raises(KeyError):
        value_list("不存在的列表")


def test_districts_map_codes_to_names_and_cannot_be_corrupted_by_callers() -> None:
    table = districts()
    assert table["440104"] == "越秀区"
    assert table["440118"] == "增城区"
    assert len(table) == 11
    assert all(len(code) == 6 and code.isascii() and code.isdigit() for code in table)
    table.clear()
    assert districts()["440106"] == "天河区"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("任教学科", "数学", "数学"),
        ("任教学科", " 数学\u3000", "数学"),
        ("在岗状态", "退休", "退休"),
        ("学时类型", "公需科目", "公需科目"),
        ("职称", "一级教师", "一级教师"),
    ],
)
def test_check_in_list_returns_the_normalized_value(
    name: str, value: object, expected: str
) -> None:
    assert check_in_list(name, value) == expected


def test_check_in_list_names_the_value_the_list_and_the_choices() -> None:
    with pytest.raises(InvalidValue) as excinfo:
        check_in_list("任教学科", "物理学")
    assert excinfo.value.code == "value-not-in-list"
    assert excinfo.value.message.startswith("“物理学”不在任教学科的取值范围内（可选：语文、数学、")
    assert excinfo.value.message.endswith("…）")


def test_check_in_list_shows_a_short_list_in_full() -> None:
    with pytest.raises(InvalidValue, match=r"（可选：公办、民办）$"):
        check_in_list("学校性质", "公立")


def test_check_in_list_requires_a_value() -> None:
    with pytest.raises(InvalidValue) as excinfo:
        check_in_list("职称", "")
    assert excinfo.value.code == "required"


def test_teacher_status_matches_the_employment_status_value_list() -> None:
    assert tuple(TeacherStatus) == value_list("在岗状态")


def test_training_level_matches_its_value_list() -> None:
    assert tuple(TrainingLevel) == value_list("培训级别")


@pytest.mark.parametrize(
    ("enum", "values"),
    [
        (Role, ["city", "district", "institution", "school", "teacher", "system"]),
        (ReviewState, ["normal", "reopened", "submitted", "rejected"]),
        (BillState, ["unpaid", "paid", "void"]),
        (TransferState, ["pending", "approved", "rejected", "cancelled"]),
        (EnrollmentState, ["active", "dropped", "voided"]),
    ],
)
def test_state_enums_use_the_json_values_of_the_spec(
    enum: type[StrEnum], values: list[str]
) -> None:
    assert [member.value for member in enum] == values


def test_str_enums_compare_equal_to_their_json_text() -> None:
    assert BillState("paid") is BillState.PAID
    assert str(BillState.PAID) == "paid"
    assert f"{TeacherStatus.ACTIVE}" == "在职"
