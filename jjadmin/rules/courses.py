"""Course rules: which courses a teacher may see (by training level), and the course cells
(容量, 状态, 适用学段/学科) shared by the importer and `course declare` (SPEC §5, §6)."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Protocol

from jjadmin.errors import InvalidValue
from jjadmin.rules.enums import TrainingLevel, check_in_list, value_list
from jjadmin.rules.ids import normalize_text

__all__ = [
    "APPROVALS",
    "APPROVAL_LABELS",
    "APPROVED",
    "LIST_SEPARATOR",
    "OPEN_LEVELS",
    "PENDING",
    "REJECTED",
    "STATUSES",
    "CourseLike",
    "check_text",
    "course_visible_to_teacher",
    "parse_capacity",
    "parse_status",
    "parse_value_set",
]

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"

# Levels open to every teacher of the city; 区级 and 校本 are bounded by district and school.
OPEN_LEVELS: tuple[str, ...] = (
    TrainingLevel.CITY_WIDE.value,
    TrainingLevel.SPECIAL.value,
    TrainingLevel.ABILITY_PROJECT.value,
)


class CourseLike(Protocol):
    @property
    def level(self) -> str: ...

    @property
    def district_code(self) -> str | None: ...

    @property
    def school_id(self) -> int | None: ...

    @property
    def approval(self) -> str: ...


def course_visible_to_teacher(
    course: CourseLike, teacher_school_id: int | None, teacher_district: str | None
) -> bool:
    """区级: same district; 校本: same school and approved; 全员/专项/提升工程: everyone.

    Only the level rule: status (上线), period and window are the caller's checks.
    """
    if course.level in OPEN_LEVELS:
        return True
    if course.level == TrainingLevel.DISTRICT:
        return teacher_district is not None and course.district_code == teacher_district
    if course.level == TrainingLevel.SCHOOL_BASED:
        return (
            teacher_school_id is not None
            and course.school_id == teacher_school_id
            and course.approval == APPROVED
        )
    return False


STATUSES: tuple[str, ...] = ("上线", "下线")
APPROVALS: tuple[str, ...] = (PENDING, APPROVED, REJECTED)
APPROVAL_LABELS = {PENDING: "待审核", APPROVED: "已通过", REJECTED: "已驳回"}
LIST_SEPARATOR = "、"
# Words that mean "no restriction" in 适用学段 / 适用学科.
_UNRESTRICTED = frozenset({"不限", "全部", "全学段", "全学科", "通用", "所有"})
_WHOLE = re.compile(r"\+?([0-9]+)(?:\.0+)?")
_SPLIT = re.compile(r"[、,，;；/／|\s]+")


def parse_capacity(value: object) -> int | None:
    """容量: a positive whole number, or None (blank: unlimited). Excel's 30.0 is 30.

    Raises InvalidValue (capacity-invalid).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidValue(f"容量“{value}”无效，应为正整数", code="capacity-invalid")
    if isinstance(value, int | float | Decimal):
        if not math.isfinite(value) or value != int(value):
            raise InvalidValue(f"容量“{value}”无效，应为正整数", code="capacity-invalid")
        number = int(value)
    else:
        text = normalize_text(value)
        if not text:
            return None
        digits = _WHOLE.fullmatch(text.removesuffix("人"))
        if digits is None:
            raise InvalidValue(
                f"容量“{text}”无效，应为正整数（不限人数请留空）", code="capacity-invalid"
            )
        number = int(digits.group(1))
    if number <= 0:
        raise InvalidValue(
            f"容量 {number} 无效，应为正整数（不限人数请留空）", code="capacity-invalid"
        )
    return number


def parse_status(value: object) -> str:
    """状态: 上线 or 下线. Raises InvalidValue (required, value-not-in-list)."""
    text = normalize_text(value)
    if not text:
        raise InvalidValue("状态不能为空", code="required")
    if text not in STATUSES:
        raise InvalidValue(f"状态“{text}”无效，应为“上线”或“下线”", code="value-not-in-list")
    return text


def parse_value_set(list_name: str, value: object) -> str | None:
    """Several values of one value list ('小学、初中', '小学,初中') → '小学、初中' in list order;
    None when blank or unrestricted (不限/全部). Raises InvalidValue (value-not-in-list)."""
    text = normalize_text(value)
    parts = [p for p in _SPLIT.split(text) if p]
    if not parts or (len(parts) == 1 and parts[0] in _UNRESTRICTED):
        return None
    choices = value_list(list_name)
    for part in parts:
        check_in_list(list_name, part)
    return LIST_SEPARATOR.join(c for c in choices if c in parts)


def check_text(value: object, *, label: str, max_length: int, required: bool = False) -> str | None:
    """Trimmed text of at most `max_length` characters; None when blank and not required.

    Raises InvalidValue (required, too-long).
    """
    text = normalize_text(value)
    if not text:
        if required:
            raise InvalidValue(f"{label}不能为空", code="required")
        return None
    if len(text) > max_length:
        raise InvalidValue(f"{label}过长（{len(text)}个字符，最多{max_length}个）", code="too-long")
    return text
