"""Cell rules for a teacher's own words: 姓名, 电子邮箱, 通讯地址 (SPEC §5).

Pure functions shared by `teacher add/set` (services.teachers) and the roster reader
(importers.teacher), which must not load the database layer to parse a sheet.
"""

from __future__ import annotations

import re
import unicodedata

from jjadmin.errors import InvalidValue
from jjadmin.rules.ids import normalize_text

NAME_MAX = 40
EMAIL_MAX = 100
ADDRESS_MAX = 200

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normalize_name(value: object) -> str:
    """姓名: NFKC, inner whitespace collapsed, 1–40 characters, no control characters."""
    if (
        type(value) is str
        and 0 < len(value) <= NAME_MAX
        and value.isprintable()
        and " " not in value
        and unicodedata.is_normalized("NFKC", value)
    ):
        return value  # already clean: the common case of a 100,000-row roster
    text = " ".join(normalize_text(value).split())
    if not text:
        raise InvalidValue("姓名不能为空", code="required")
    if len(text) > NAME_MAX:
        raise InvalidValue(f"姓名过长（{len(text)}个字符，最多{NAME_MAX}个）", code="name-invalid")
    if CONTROL.search(text):
        raise InvalidValue("姓名含有不可见的控制字符", code="name-invalid")
    return text


def normalize_email(value: object) -> str:
    text = normalize_text(value)
    if len(text) > EMAIL_MAX or not _EMAIL.fullmatch(text):
        raise InvalidValue(f"电子邮箱“{text}”格式不正确", code="email-invalid")
    return text


def normalize_address(value: object) -> str:
    text = normalize_text(value)
    if len(text) > ADDRESS_MAX:
        raise InvalidValue(f"通讯地址过长（最多{ADDRESS_MAX}个字符）", code="address-invalid")
    if CONTROL.search(text.replace("\n", " ")):
        raise InvalidValue("通讯地址含有不可见的控制字符", code="address-invalid")
    return text
