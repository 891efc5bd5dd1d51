"""Identity numbers (身份证号), dates, mobiles, school and district codes; SPEC §4."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from jjadmin.errors import InvalidValue

__all__ = [
    "MIN_BIRTH_DATE",
    "IdNumber",
    "check_birth_date",
    "check_gender",
    "mask_id_number",
    "mask_mobile",
    "normalize_district_code",
    "normalize_mobile",
    "normalize_school_code",
    "normalize_text",
    "parse_date",
    "parse_gender",
    "parse_id_number",
]

# GB 11643 says nothing about a lower bound; 1800 keeps the standard's own example
# (440524188001010014, born 1880) valid while rejecting typos such as 0990 or 1090.
MIN_BIRTH_DATE = date(1800, 1, 1)

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_PROVINCES = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55)]
    + [*range(61, 66), 81, 82, 83]
)
_ID_CORRUPTED_MESSAGE = "身份证号被 Excel 存成了数字，末几位已丢失，请把该列设为文本格式后重新录入"
_SCIENTIFIC = re.compile(r"[0-9]+(?:\.[0-9]*)?[eE][+-]?[0-9]+")
_FLOAT_TEXT = re.compile(r"([0-9]+)\.0+")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_DASHES = dict.fromkeys(map(ord, "-\u2010\u2011\u2012\u2013\u2014\u2212"))
_TIME_PART = (
    r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)
_DATE_PATTERNS = (
    re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})" + _TIME_PART),
    re.compile(r"([0-9]{4})()([0-9]{2})([0-9]{2})"),
    re.compile(r"([0-9]{4})年()([0-9]{1,2})月([0-9]{1,2})日?" + _TIME_PART),
)
_GENDERS = {"男": "男", "男性": "男", "女": "女", "女性": "女"}


def normalize_text(value: object) -> str:
    """Text of a cell: NFKC (full-width → ASCII), zero-width characters removed, trimmed.

    `None` becomes the empty string. U+3000 and NBSP are whitespace after NFKC.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).translate(_ZERO_WIDTH)
    return text.strip()


@dataclass(frozen=True)
class IdNumber:
    """A validated 18-character ID number with the facts it encodes."""

    value: str
    birth_date: date
    gender: str

    def __hash__(self) -> int:
        # The same as the generated hash would decide (birth date and gender follow from the
        # value), without building a tuple: a city roster hashes 100,000 of them twice.
        return hash(self.value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _id_checksum(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def parse_id_number(value: object, *, today: date) -> IdNumber:
    """Normalize and validate a 身份证号 (GB 11643 / ISO 7064 MOD 11-2; SPEC §4).

    Raises InvalidValue with codes: required, id-corrupted-number, id-15-digit, id-length,
    id-characters, id-province, id-birth-date, id-future-birth, id-checksum.
    """
    if _is_number(value):
        raise InvalidValue(_ID_CORRUPTED_MESSAGE, code="id-corrupted-number")
    text = normalize_text(value).upper()
    if not text:
        raise InvalidValue("身份证号不能为空", code="required")
    if _SCIENTIFIC.fullmatch(text) or _FLOAT_TEXT.fullmatch(text):
        raise InvalidValue(_ID_CORRUPTED_MESSAGE, code="id-corrupted-number")
    if re.fullmatch(r"[0-9]{15}", text):
        raise InvalidValue("15位旧身份证号，请录入18位新身份证号", code="id-15-digit")
    if len(text) != 18:
        raise InvalidValue(f"身份证号应为18位（当前为{len(text)}位）", code="id-length")
    if not re.fullmatch(r"[0-9]{17}[0-9X]", text):
        raise InvalidValue("身份证号只能包含数字，最后一位可以是 X", code="id-characters")
    if int(text[:2]) not in _ID_PROVINCES:
        raise InvalidValue(
            f"身份证号前两位 {text[:2]} 不是有效的省级行政区代码", code="id-province"
        )
    birth = _id_birth_date(text, today=today)
    expected = _id_checksum(text[:17])
    if text[17] != expected:
        raise InvalidValue(f"身份证号校验位错误（应为 {expected}）", code="id-checksum")
    gender = "男" if int(text[16]) % 2 == 1 else "女"
    return IdNumber(value=text, birth_date=birth, gender=gender)


def _id_birth_date(text: str, *, today: date) -> date:
    digits = text[6:14]
    try:
        birth = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise InvalidValue(
            f"身份证号中的出生日期 {digits} 不是有效日期", code="id-birth-date"
        ) from None
    if birth < MIN_BIRTH_DATE:
        raise InvalidValue(f"身份证号中的出生日期 {birth.isoformat()} 不合理", code="id-birth-date")
    if birth > today:
        raise InvalidValue(
            f"身份证号中的出生日期 {birth.isoformat()} 晚于今天", code="id-future-birth"
        )
    return birth


def parse_gender(value: object) -> str | None:
    """'男' or '女' from a cell (also 男性/女性); None when empty. Raises InvalidValue."""
    text = normalize_text(value)
    if not text:
        return None
    gender = _GENDERS.get(text)
    if gender is None:
        raise InvalidValue(f"性别“{text}”无效，应为“男”或“女”", code="gender-invalid")
    return gender


def check_gender(info: IdNumber, gender: object) -> None:
    """Check a given 性别 against the ID number's 17th digit (odd = 男); empty is no check."""
    given = parse_gender(gender)
    if given is not None and given != info.gender:
        raise InvalidValue(
            f"性别“{given}”与身份证号不一致（身份证号显示为{info.gender}）",
            code="gender-mismatch",
        )


def check_birth_date(info: IdNumber, birth: object) -> None:
    """Check a given 出生日期 against the ID number's birth date; empty is no check."""
    if birth is None or (isinstance(birth, str) and not normalize_text(birth)):
        return
    given = parse_date(birth)
    if given != info.birth_date:
        raise InvalidValue(
            f"出生日期 {given.isoformat()} 与身份证号中的出生日期 "
            f"{info.birth_date.isoformat()} 不一致",
            code="birth-mismatch",
        )


def parse_date(value: object) -> date:
    """A date from date/datetime or text: YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD,
    YYYY年MM月DD日, optionally followed by a time. Bare numbers (Excel serials) are refused.

    Raises InvalidValue (code required or invalid-date).
    """
    if (
        type(value) is str
        and len(value) == 10
        and value.isascii()
        and value[4] == value[7] == "-"
        and (value[:4] + value[5:7] + value[8:]).isdigit()
    ):
        # clean ISO text, the usual cell: what the first pattern below would give
        try:
            return date(int(value[:4]), int(value[5:7]), int(value[8:]))
        except ValueError:
            pass  # the rules below word the error
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if _is_number(value):
        raise InvalidValue(
            f"日期“{value}”是一个数字，请填写日期，如 2026-03-15", code="invalid-date"
        )
    text = normalize_text(value)
    if not text:
        raise InvalidValue("日期不能为空", code="required")
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            year, _, month, day = match.groups()
            try:
                return date(int(year), int(month), int(day))
            except ValueError:
                break
    raise InvalidValue(f"日期“{text}”无效，请按 2026-03-15 的格式填写", code="invalid-date")


def mask_id_number(v: str) -> str:
    """440104199001011234 → 440104********1234 (SPEC §3)."""
    if len(v) <= 10:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def _integral_text(value: object) -> str | None:
    """Digits of an int/float/Decimal or of text like '13800138000.0'; None if not integral."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value >= 0 else None
    if isinstance(value, float | Decimal):
        try:
            if isinstance(value, float) and not math.isfinite(value):
                return None
            integral = int(value)
        except (ValueError, InvalidOperation, OverflowError):
            return None
        return str(integral) if integral == value and integral >= 0 else None
    match = _FLOAT_TEXT.fullmatch(normalize_text(value))
    return match.group(1) if match else None


def normalize_mobile(value: object) -> str:
    """11-digit mainland mobile `1[3-9]xxxxxxxxx` after removing +86/86, spaces and hyphens.

    Raises InvalidValue (code required or mobile-invalid).
    """
    message = "手机号格式不正确（应为11位手机号码）"
    if _is_number(value):
        digits = _integral_text(value)
        if digits is None:
            raise InvalidValue(message, code="mobile-invalid")
        text = digits
    else:
        text = normalize_text(value)
        if not text:
            raise InvalidValue("手机号不能为空", code="required")
        text = "".join(text.split()).translate(_DASHES)
        text = _integral_text(text) or text
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) - len(prefix) == 11:
            text = text[len(prefix) :]
            break
    if not _MOBILE.fullmatch(text):
        raise InvalidValue(message, code="mobile-invalid")
    return text


def mask_mobile(v: str) -> str:
    """13800138000 → 138****8000."""
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def _normalize_digit_code(
    value: object, *, length: int, label: str, code: str, example: str
) -> str:
    if _is_number(value) or _FLOAT_TEXT.fullmatch(normalize_text(value)):
        digits = _integral_text(value)
        if digits is not None and len(digits) == length:
            return digits
        if digits is not None and len(digits) < length:
            raise InvalidValue(
                f"{label}“{digits}”被 Excel 存成了数字，开头的 0 已丢失，"
                "请把该列设为文本格式后重新录入",
                code=code,
            )
        raise InvalidValue(f"{label}应为{length}位数字，如 {example}", code=code)
    text = normalize_text(value)
    if not text:
        raise InvalidValue(f"{label}不能为空", code="required")
    if not re.fullmatch(f"[0-9]{{{length}}}", text):
        raise InvalidValue(f"{label}“{text}”无效，应为{length}位数字，如 {example}", code=code)
    return text


def normalize_school_code(value: object) -> str:
    """10-digit 学校代码 (SPEC §4). Raises InvalidValue (code required or school-code-invalid)."""
    return _normalize_digit_code(
        value, length=10, label="学校代码", code="school-code-invalid", example="1144010401"
    )


def normalize_district_code(value: object) -> str:
    """6-digit 所属区代码 (GB/T 2260). Membership is the service's check.

    Raises InvalidValue (code required or district-code-invalid).
    """
    return _normalize_digit_code(
        value, length=6, label="所属区代码", code="district-code-invalid", example="440104"
    )
