"""教师 template: columns and cell parsers (SPEC §5); cross-checks against the DB are the service's.

Parsers of columns whose values repeat down a roster (学校代码, 任教学段, 职称, dates…) are
memoised per import: a 100,000-row city sheet holds a few thousand distinct values there.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from operator import mul

from jjadmin.errors import InvalidValue
from jjadmin.importers.columns import ColumnSpec
from jjadmin.rules.codes import normalize_learner_no
from jjadmin.rules.enums import check_in_list
from jjadmin.rules.ids import (
    MIN_BIRTH_DATE,
    IdNumber,
    normalize_mobile,
    normalize_school_code,
    parse_date,
    parse_gender,
    parse_id_number,
)
from jjadmin.services.teachers import (
    check_status,
    normalize_address,
    normalize_email,
    normalize_name,
)

__all__ = [
    "TEACHER_HEADERS",
    "bulk_allocation",
    "fast_id_parser",
    "fast_mobile",
    "memoised",
    "teacher_columns",
]

MEMO_LIMIT = 50_000

TEACHER_HEADERS = (
    "学号",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "手机号",
    "学校代码",
    "任教学段",
    "任教学科",
    "职称",
    "在岗状态",
    "电子邮箱",
    "通讯地址",
)


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while a roster is read and imported.

    A 100,000-row sheet keeps ~10 million live objects (rows, cells, dicts) and makes no
    reference cycles worth collecting, yet each full collection would walk all of them again:
    about 15% of the import's time. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def memoised(parse: Callable[[object], object]) -> Callable[[object], object]:
    """`parse` with its results (and InvalidValue failures) remembered per cell value."""
    seen: dict[tuple[type, object], tuple[object, tuple[str, str] | None]] = {}

    def cached(value: object) -> object:
        key = (type(value), value)
        try:
            hit = seen.get(key)
        except TypeError:  # an unhashable value: parse it every time
            key, hit = None, None  # type: ignore[assignment]
        if hit is None:
            try:
                hit = (parse(value), None)
            except InvalidValue as exc:
                hit = (None, (exc.message, exc.code))
            if key is not None and len(seen) < MEMO_LIMIT:
                seen[key] = hit
        result, failure = hit
        if failure is not None:
            raise InvalidValue(failure[0], code=failure[1])
        return result

    return cached


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_DIGIT_BIAS = ord("0") * sum(_ID_WEIGHTS)
_ID_CHECK = "10X98765432"


def fast_id_parser(today: date) -> Callable[[object], IdNumber]:
    """`rules.ids.parse_id_number` with a shortcut for cells that are already clean.

    A clean cell (18 ASCII characters, 17 digits then a digit or 'X', a province prefix that
    the full rule has accepted before in this import, a real birth date, the right check
    character) gives exactly what the full rule gives; anything else goes to the full rule,
    which also words the error.
    """
    provinces: set[str] = set()

    def parse(value: object) -> IdNumber:
        if type(value) is str and len(value) == 18 and value.isascii():
            head = value[:17]
            last = value[17]
            if head.isdigit() and (last.isdigit() or last == "X") and value[:2] in provinces:
                total = sum(map(mul, head.encode(), _ID_WEIGHTS)) - _ID_DIGIT_BIAS
                if _ID_CHECK[total % 11] == last:
                    try:
                        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
                    except ValueError:
                        birth = None
                    if birth is not None and MIN_BIRTH_DATE <= birth <= today:
                        return IdNumber(value, birth, "男" if int(value[16]) % 2 else "女")
        ident = parse_id_number(value, today=today)
        provinces.add(ident.value[:2])
        return ident

    return parse


def fast_mobile(value: object) -> str:
    """`rules.ids.normalize_mobile` with a shortcut for a clean 11-digit text cell."""
    if (
        type(value) is str
        and len(value) == 11
        and value.isascii()
        and value.isdigit()
        and value[0] == "1"
        and value[1] in "3456789"
    ):
        return value
    return normalize_mobile(value)


def teacher_columns(today: date) -> list[ColumnSpec]:
    """The 教师 template's columns; `today` bounds birth dates in ID numbers."""
    return [
        ColumnSpec("学号", "learner_no", parse=normalize_learner_no, unique=True),
        ColumnSpec("姓名", "name", required=True, parse=normalize_name),
        ColumnSpec(
            "身份证号",
            "id_number",
            required=True,
            parse=fast_id_parser(today),
            unique=True,
            aliases=("身份证号码", "证件号码"),
        ),
        ColumnSpec("性别", "gender", parse=memoised(parse_gender)),
        ColumnSpec("出生日期", "birth_date", parse=memoised(parse_date)),
        ColumnSpec("手机号", "mobile", required=True, parse=fast_mobile, aliases=("手机号码",)),
        ColumnSpec("学校代码", "school_code", required=True, parse=memoised(normalize_school_code)),
        ColumnSpec(
            "任教学段",
            "stage",
            required=True,
            parse=memoised(partial(check_in_list, "任教学段")),
        ),
        ColumnSpec(
            "任教学科",
            "subject",
            required=True,
            parse=memoised(partial(check_in_list, "任教学科")),
        ),
        ColumnSpec("职称", "title", parse=memoised(partial(check_in_list, "职称"))),
        ColumnSpec("在岗状态", "status", parse=memoised(check_status)),
        ColumnSpec("电子邮箱", "email", parse=normalize_email),
        ColumnSpec("通讯地址", "address", parse=normalize_address),
    ]
