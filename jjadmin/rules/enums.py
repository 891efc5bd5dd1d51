"""Value lists (取值范围), districts and state enums.

Glossary (STYLE.md §3): use these English names everywhere, including JSON keys.

    学号 learner_no          身份证号 id_number        学校代码 school_code
    所属区代码 district_code  期数 period               课程编号 course_code
    收费单位 charging_unit    选课 enrollment           账单 bill
    账单号 bill_no            票据号 receipt_no         学时 hours
    学时类型 hour_type        培训级别 training_level   特殊用户 special_user
    调动 transfer             在岗状态 employment_status
    学时申报 credit_declaration                         提升工程 ability_project

Extend the glossary here, in one place; never invent a second spelling.
"""

from __future__ import annotations

import csv
import io
from enum import StrEnum
from functools import cache
from importlib import resources

from jjadmin.errors import InvalidValue
from jjadmin.rules.ids import normalize_text

__all__ = [
    "BillState",
    "EnrollmentState",
    "ReviewState",
    "Role",
    "TeacherStatus",
    "TrainingLevel",
    "TransferState",
    "check_in_list",
    "districts",
    "list_names",
    "value_list",
]

_SHOWN_CHOICES = 10


class Role(StrEnum):
    """账户角色 (SPEC §3)."""

    CITY = "city"
    DISTRICT = "district"
    INSTITUTION = "institution"
    SCHOOL = "school"
    TEACHER = "teacher"
    SYSTEM = "system"


class TeacherStatus(StrEnum):
    """在岗状态 (value list 在岗状态)."""

    ACTIVE = "在职"
    LEFT = "离职"
    RETIRED = "退休"


class ReviewState(StrEnum):
    """信息审核 state of a teacher's record."""

    NORMAL = "normal"
    REOPENED = "reopened"
    SUBMITTED = "submitted"
    REJECTED = "rejected"


class BillState(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    VOID = "void"


class TransferState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class EnrollmentState(StrEnum):
    ACTIVE = "active"
    DROPPED = "dropped"
    VOIDED = "voided"


class TrainingLevel(StrEnum):
    """培训级别 (value list 培训级别)."""

    CITY_WIDE = "全员培训"
    DISTRICT = "区级培训"
    SCHOOL_BASED = "校本培训"
    SPECIAL = "专项培训"
    ABILITY_PROJECT = "提升工程"


def _read_csv(name: str) -> list[list[str]]:
    resource = resources.files("jjadmin").joinpath("data").joinpath(name)
    text = resource.read_text(encoding="utf-8-sig")
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    return [[cell.strip() for cell in row] for row in rows[1:]]


@cache
def _value_lists() -> dict[str, tuple[str, ...]]:
    lists: dict[str, list[str]] = {}
    for list_name, value in _read_csv("value-lists.csv"):
        lists.setdefault(list_name, []).append(value)
    return {list_name: tuple(values) for list_name, values in lists.items()}


@cache
def _districts() -> tuple[tuple[str, str], ...]:
    return tuple((code, name) for code, name in _read_csv("guangzhou-districts.csv"))


def list_names() -> tuple[str, ...]:
    """Names of the value lists in data/value-lists.csv (任教学段, 任教学科, …)."""
    return tuple(_value_lists())


def value_list(name: str) -> tuple[str, ...]:
    """The values of one list, in file order. KeyError for an unknown list name."""
    try:
        return _value_lists()[name]
    except KeyError:
        raise KeyError(f"unknown value list: {name!r}") from None


def districts() -> dict[str, str]:
    """Guangzhou districts: 6-digit code → name (a fresh dict; the cache stays intact)."""
    return dict(_districts())


def check_in_list(name: str, value: object) -> str:
    """The normalized value when it is in list `name`.

    Raises InvalidValue (required, value-not-in-list).
    """
    choices = value_list(name)
    text = normalize_text(value)
    if not text:
        raise InvalidValue(f"{name}不能为空", code="required")
    if text in choices:
        return text
    shown = "、".join(choices[:_SHOWN_CHOICES])
    if len(choices) > _SHOWN_CHOICES:
        shown += "、…"
    raise InvalidValue(f"“{text}”不在{name}的取值范围内（可选：{shown}）", code="value-not-in-list")
