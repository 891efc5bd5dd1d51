"""Unit tests for jjadmin.rules.codes (学号, 期数, 课程编号)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from jjadmin.errors import InvalidValue
from jjadmin.rules.codes import (
    LEARNER_PREFIX,
    current_period,
    format_learner_no,
    normalize_course_code,
    normalize_learner_no,
    parse_period_code,
    period_half,
    period_year,
)


@pytest.mark.parametrize(
    ("year", "seq", "expected"),
    [
        (2026, 1, "44012600000001"),
        (2026, 12345, "44012600012345"),
        (2009, 99_999_999, "44010999999999"),
        (2100, 7, "44010000000007"),
    ],
)
def test_format_learner_no_is_prefix_year_and_eight_digit_sequence(
    year: int, seq: int, expected: str
) -> None:
    learner_no = format_learner_no(year, seq)
    assert learner_no == expected
    assert learner_no.startswith(LEARNER_PREFIX)
    assert len(learner_no) == 14


@pytest.mark.parametrize("seq", [0, -1, 100_000_000])
def test_format_learner_no_refuses_a_sequence_out_of_range(seq: int) -> None:
    with pytest.raises(ValueError):
        format_learner_no(2026, seq)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("44012600000001", "44012600000001"),
        (" 44012600000001\u3000", "44012600000001"),
        ("４４０１２６００００００01", "44012600000001"),
        (44012600000001, "44012600000001"),
        (44012600000001.0, "44012600000001"),
        ("44012600000001.0", "44012600000001"),
    ],
)
def test_normalize_learner_no_accepts_fourteen_digits_starting_4401(
    value: object, expected: str
) -> None:
    assert normalize_learner_no(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("4401260000001", "learner-no-invalid"),
        ("440126000000011", "learner-no-invalid"),
        ("44022600000001", "learner-no-invalid"),
        ("4401260000000A", "learner-no-invalid"),
        ("٤٤٠١٢٦٠٠٠٠٠٠٠١", "learner-no-invalid"),
        (4401260000000.0, "learner-no-invalid"),
        (True, "learner-no-invalid"),
        ("", "required"),
        (None, "required"),
    ],
)
def test_normalize_learner_no_rejects_other_values(value: object, code: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_learner_no(value)
    assert excinfo.value.code == code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2601", "2601"),
        ("2602", "2602"),
        ("2603", "2603"),
        ("2699", "2699"),
        ("2610", "2610"),
        (2601, "2601"),
        (2602.0, "2602"),
        ("２６０１", "2601"),
    ],
)
def test_parse_period_code_accepts_yynn(value: object, expected: str) -> None:
    assert parse_period_code(value) == expected


@pytest.mark.parametrize(
    "value", ["2600", "26-01", "202601", "261", "2601a", "26100", 2600, 2601.5, True]
)
def test_parse_period_code_rejects_anything_else_with_the_format_hint(value: object) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        parse_period_code(value)
    assert excinfo.value.code == "period-invalid"
    assert "2601（2026年上半年）" in excinfo.value.message


def test_parse_period_code_requires_a_value() -> None:
    with pytest.raises(InvalidValue) as excinfo:
        parse_period_code(" ")
    assert excinfo.value.code == "required"


@pytest.mark.parametrize(
    ("code", "year", "half"),
    [
        ("2601", 2026, 1),
        ("2602", 2026, 2),
        ("0901", 2009, 1),
        ("2603", 2026, 3),
        ("2699", 2026, 99),
    ],
)
def test_period_year_and_half_read_the_code(code: str, year: int, half: int) -> None:
    assert period_year(code) == year
    assert period_half(code) == half


def test_period_year_validates_its_argument() -> None:
    with pytest.raises(InvalidValue):
        period_year("2600")


SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 1, 1, 0, 0, tzinfo=SHANGHAI), "2601"),
        (datetime(2026, 6, 30, 23, 59, tzinfo=SHANGHAI), "2601"),
        (datetime(2026, 7, 1, 0, 0, tzinfo=SHANGHAI), "2602"),
        (datetime(2026, 12, 31, 23, 59), "2602"),
        (datetime(2030, 3, 15, 10, 0), "3001"),
    ],
)
def test_current_period_is_first_half_until_june_then_second_half(
    now: datetime, expected: str
) -> None:
    assert current_period(now) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("QJ2601-001", "QJ2601-001"),
        ("qj_01", "qj_01"),
        ("  C001\u3000", "C001"),
        ("ＣＯＵＲＳＥ１", "COURSE1"),
        (101, "101"),
        (101.0, "101"),
        ("A" * 20, "A" * 20),
    ],
)
def test_normalize_course_code_keeps_ascii_letters_digits_dash_underscore(
    value: object, expected: str
) -> None:
    assert normalize_course_code(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("A" * 21, "course-code-invalid"),
        ("QJ 001", "course-code-invalid"),
        ("课程001", "course-code-invalid"),
        ("C/001", "course-code-invalid"),
        ("C.001", "course-code-invalid"),
        (1.5, "course-code-invalid"),
        ("", "required"),
        (None, "required"),
    ],
)
def test_normalize_course_code_rejects_other_values(value: object, code: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_course_code(value)
    assert excinfo.value.code == code
