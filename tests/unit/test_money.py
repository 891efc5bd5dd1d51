"""Unit tests for jjadmin.rules.money (fen amounts, 大写金额, 学时)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jjadmin.errors import InvalidValue
from jjadmin.rules.money import (
    chinese_capital,
    format_hours,
    format_money,
    parse_hours,
    parse_money,
)

CAPITALS = [
    (0, "零元整"),
    (1, "壹分"),
    (10, "壹角"),
    (55, "伍角伍分"),
    (100, "壹元整"),
    (1000, "壹拾元整"),
    (1005, "壹拾元零伍分"),
    (1550, "壹拾伍元伍角"),
    (10000, "壹佰元整"),
    (10100, "壹佰零壹元整"),
    (11000, "壹佰壹拾元整"),
    (100100, "壹仟零壹元整"),
    (120000, "壹仟贰佰元整"),
    (120050, "壹仟贰佰元伍角"),
    (120005, "壹仟贰佰元零伍分"),
    (120055, "壹仟贰佰元伍角伍分"),
    (168032, "壹仟陆佰捌拾元叁角贰分"),
    (212000, "贰仟壹佰贰拾元整"),
    (1000000, "壹万元整"),
    (1000100, "壹万零壹元整"),
    (1001000, "壹万零壹拾元整"),
    (1010000, "壹万零壹佰元整"),
    (1100000, "壹万壹仟元整"),
    (10010000, "壹拾万零壹佰元整"),
    (100000100, "壹佰万零壹元整"),
    (100100000, "壹佰万壹仟元整"),
    (1234567800, "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元整"),
    (10000000000, "壹亿元整"),
    (10000000100, "壹亿零壹元整"),
    (10001000000, "壹亿零壹万元整"),
    (10010000000, "壹亿零壹拾万元整"),
    (11000000000, "壹亿壹仟万元整"),
    (100000000000000 - 1, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    (100010000000000, "壹万零壹亿元整"),
    (-120000, "负壹仟贰佰元整"),
]


def test_the_capitals_table_has_at_least_fifteen_cases() -> None:
    assert len(CAPITALS) >= 15


@pytest.mark.parametrize(("fen", "expected"), CAPITALS)
def test_chinese_capital_follows_the_financial_writing_rules(fen: int, expected: str) -> None:
    assert chinese_capital(fen) == expected


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("1200", 120000),
        ("1,200.50", 120050),
        ("1,234,567.8", 123456780),
        ("￥1200", 120000),
        ("¥ 1200", 120000),
        ("RMB1200", 120000),
        ("1200元", 120000),
        ("1200元整", 120000),
        ("１２００．５", 120050),
        ("１，２００", 120000),
        ("0", 0),
        ("0.01", 1),
        ("1200.00", 120000),
        (" 1200 ", 120000),
        (1200, 120000),
        (1200.5, 120050),
        (1200.55, 120055),
        (Decimal("1200.50"), 120050),
        (Decimal("0.1"), 10),
    ],
)
def test_parse_money_returns_integer_fen(value: object, fen: int) -> None:
    assert parse_money(value) == fen


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("-1", "money-invalid"),
        (-5, "money-invalid"),
        ("1200.555", "money-invalid"),
        (0.1 + 0.2, "money-invalid"),
        ("1,20,0", "money-invalid"),
        ("1.2.3", "money-invalid"),
        ("一千二百元", "money-invalid"),
        ("abc", "money-invalid"),
        ("1e3", "money-invalid"),
        (float("nan"), "money-invalid"),
        (float("inf"), "money-invalid"),
        (True, "money-invalid"),
        ("1000000000000", "money-invalid"),
        ("", "required"),
        (None, "required"),
    ],
)
def test_parse_money_rejects_bad_amounts(value: object, code: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        parse_money(value)
    assert excinfo.value.code == code


def test_parse_money_says_amounts_stop_at_fen() -> None:
    with pytest.raises(InvalidValue, match="最多保留两位小数"):
        parse_money("1.005")


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "0.00"), (5, "0.05"), (123400, "1234.00"), (120050, "1200.50"), (-150, "-1.50")],
)
def test_format_money_is_a_plain_decimal_string(fen: int, text: str) -> None:
    assert format_money(fen) == text


@pytest.mark.parametrize(
    ("value", "hours"),
    [
        ("2.5", Decimal("2.5")),
        ("32", Decimal("32")),
        ("2.50", Decimal("2.5")),
        ("２．５", Decimal("2.5")),
        ("8学时", Decimal("8")),
        (2, Decimal("2")),
        (2.5, Decimal("2.5")),
        (Decimal("0"), Decimal("0")),
    ],
)
def test_parse_hours_accepts_one_decimal_place(value: object, hours: Decimal) -> None:
    assert parse_hours(value) == hours


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2.25", "hours-invalid"),
        ("-1", "hours-invalid"),
        ("两小时", "hours-invalid"),
        ("20000", "hours-invalid"),
        (False, "hours-invalid"),
        ("", "required"),
    ],
)
def test_parse_hours_rejects_bad_values(value: object, code: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        parse_hours(value)
    assert excinfo.value.code == code


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (Decimal("32"), "32"),
        (Decimal("32.0"), "32"),
        (Decimal("2.5"), "2.5"),
        (Decimal("0"), "0"),
        (Decimal("2.25"), "2.3"),
    ],
)
def test_format_hours_drops_a_trailing_zero_decimal(hours: Decimal, text: str) -> None:
    assert format_hours(hours) == text
