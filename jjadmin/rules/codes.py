"""Learner numbers (学号), period codes (期数) and course codes (课程编号); SPEC §4."""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal

from jjadmin.errors import InvalidValue
from jjadmin.rules.ids import normalize_text

__all__ = [
    "LEARNER_PREFIX",
    "LEARNER_SEQ_MAX",
    "COURSE_CODE_MAX_LENGTH",
    "current_period",
    "format_learner_no",
    "normalize_course_code",
    "normalize_learner_no",
    "parse_period_code",
    "period_half",
    "period_year",
]

LEARNER_PREFIX = "4401"
LEARNER_SEQ_MAX = 99_999_999
COURSE_CODE_MAX_LENGTH = 20

_LEARNER_NO = re.compile(LEARNER_PREFIX + r"[0-9]{10}")
_PERIOD = re.compile(r"[0-9]{2}(?:0[1-9]|[1-9][0-9])")
_COURSE_CODE = re.compile(r"[A-Za-z0-9_-]+")
_FLOAT_TEXT = re.compile(r"([0-9]+)\.0+")
_PERIOD_MESSAGE = "期数格式应为 YYNN（NN 为 01–99；原则上每年两期），如 2601（2026年上半年）或 2602"


def _cell_text(value: object) -> str:
    """Cell text; an integral number read from Excel (2601, 2601.0) becomes its digits."""
    if isinstance(value, float | Decimal):
        finite = math.isfinite(value)
        if finite and value == int(value):
            return str(int(value))
        return normalize_text(value)
    text = normalize_text(value)
    match = _FLOAT_TEXT.fullmatch(text)
    return match.group(1) if match else text


def format_learner_no(year: int, seq: int) -> str:
    """'4401' + 2-digit year + 8-digit sequence, e.g. (2026, 1) → '44012600000001'.

    Raises ValueError when seq is outside 1..99,999,999 (a programming error, not input).
    """
    if not 1 <= seq <= LEARNER_SEQ_MAX:
        raise ValueError(f"learner sequence out of range: {seq}")
    return f"{LEARNER_PREFIX}{year % 100:02d}{seq:08d}"


def normalize_learner_no(value: object) -> str:
    """A 14-digit 学号 starting with 4401. Raises InvalidValue (required, learner-no-invalid)."""
    if isinstance(value, bool):
        raise InvalidValue(f"学号“{value}”无效", code="learner-no-invalid")
    text = _cell_text(value)
    if not text:
        raise InvalidValue("学号不能为空", code="required")
    if not _LEARNER_NO.fullmatch(text):
        raise InvalidValue(
            f"学号“{text}”无效，应为以 {LEARNER_PREFIX} 开头的14位数字", code="learner-no-invalid"
        )
    return text


def parse_period_code(value: object) -> str:
    """期数 'YYNN': YY the year, NN 01–99. In principle two a year (01 first half, 02 second
    half: the seed's 原则上每年两期); the city may open more (SPEC §4).

    Raises InvalidValue (required, period-invalid).
    """
    if isinstance(value, bool):
        raise InvalidValue(_PERIOD_MESSAGE, code="period-invalid")
    text = _cell_text(value)
    if not text:
        raise InvalidValue("期数不能为空", code="required")
    if not _PERIOD.fullmatch(text):
        raise InvalidValue(f"“{text}”无效：{_PERIOD_MESSAGE}", code="period-invalid")
    return text


def period_year(code: str) -> int:
    """2601 → 2026."""
    return 2000 + int(parse_period_code(code)[:2])


def period_half(code: str) -> int:
    """The period's number within its year: 2601 → 1, 2602 → 2, 2603 → 3."""
    return int(parse_period_code(code)[2:])


def current_period(now: datetime) -> str:
    """The period containing `now` (local time): Jan–Jun → YY01, Jul–Dec → YY02."""
    return f"{now.year % 100:02d}{'01' if now.month <= 6 else '02'}"


def normalize_course_code(value: object) -> str:
    """课程编号: 1–20 ASCII letters, digits, '-' or '_' (case kept).

    Raises InvalidValue (required, course-code-invalid).
    """
    if isinstance(value, bool):
        raise InvalidValue(f"课程编号“{value}”无效", code="course-code-invalid")
    text = _cell_text(value)
    if not text:
        raise InvalidValue("课程编号不能为空", code="required")
    if len(text) > COURSE_CODE_MAX_LENGTH:
        raise InvalidValue(
            f"课程编号“{text}”过长（{len(text)}个字符，最多{COURSE_CODE_MAX_LENGTH}个）",
            code="course-code-invalid",
        )
    if any(ch.isspace() for ch in text):
        raise InvalidValue(f"课程编号“{text}”不能包含空格", code="course-code-invalid")
    if not _COURSE_CODE.fullmatch(text):
        raise InvalidValue(
            f"课程编号“{text}”只能包含英文字母、数字、“-”和“_”", code="course-code-invalid"
        )
    return text
