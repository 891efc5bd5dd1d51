"""教师 template: columns and cell parsers (SPEC §5); cross-checks against the DB are the service's.

Parsers of columns whose values repeat down a roster (学校代码, 任教学段, 职称, dates…) are
memoised per import: a 100,000-row city sheet holds a few thousand distinct values there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import partial

from jjadmin.errors import InvalidValue
from jjadmin.importers.columns import ColumnSpec
from jjadmin.importers.common import ImportKind, LoadedService
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
from jjadmin.rules.people import NAME_MAX, normalize_address, normalize_email, normalize_name

__all__ = [
    "TEACHER_HEADERS",
    "TEACHER_IMPORT",
    "clean_names",
    "fast_id_parser",
    "fast_id_parsers",
    "fast_mobile",
    "fast_mobiles",
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


_ID_CHECK = "10X98765432"
_ODD_DIGITS = frozenset("13579")
_CLEAN_ID = re.compile(r"[0-9]{17}[0-9X]")  # [0-9]: ASCII digits only
_CLEAN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_nfkc_normalized = partial(unicodedata.is_normalized, "NFKC")


def fast_id_parser(today: date) -> Callable[[object], IdNumber]:
    """`rules.ids.parse_id_number` with a shortcut for cells that are already clean."""
    return fast_id_parsers(today)[0]


def fast_id_parsers(
    today: date,
) -> tuple[Callable[[object], IdNumber], Callable[[list[str]], list[IdNumber]]]:
    """`rules.ids.parse_id_number` for one cell, and for a list of clean text cells.

    A clean cell (17 ASCII digits then a digit or 'X', a province prefix that the full rule
    has accepted before in this import, a real birth date, the right check character) gives
    exactly what the full rule gives; anything else goes to the full rule, which also words
    the error. The check character needs no per-digit loop: the ISO 7064 MOD 11-2 weights
    are 2**(17-i) mod 11, and 13 ≡ 2 (mod 11), so Σ digit × weight ≡ 2 × int(first 17, 13).
    Birth dates are remembered per 8 digits: a roster repeats them. The list form does each
    step for the whole list at once; a list with any cell off the shortcut goes cell by cell.
    """
    provinces: set[str] = set()
    births: dict[str, date | None] = {}  # None: no date, or one outside the rule's range

    def birth_of(digits: str) -> date | None:
        try:
            birth = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            return None
        return birth if MIN_BIRTH_DATE <= birth <= today else None

    def parse(value: object) -> IdNumber:
        if type(value) is str and _CLEAN_ID.fullmatch(value) and value[:2] in provinces:
            digits = value[6:14]
            if digits in births:
                birth = births[digits]
            else:
                birth = births[digits] = birth_of(digits)
            if birth is not None and _ID_CHECK[2 * int(value[:17], 13) % 11] == value[17]:
                return IdNumber(value, birth, "男" if value[16] in _ODD_DIGITS else "女")
        ident = parse_id_number(value, today=today)
        provinces.add(ident.value[:2])
        return ident

    def parse_many(texts: list[str]) -> list[IdNumber]:
        if not all(map(_CLEAN_ID.fullmatch, texts)) or not provinces.issuperset(
            {t[:2] for t in texts}
        ):
            return list(map(parse, texts))
        keys = [t[6:14] for t in texts]
        for digits in set(keys).difference(births):
            births[digits] = birth_of(digits)
        dates = list(map(births.__getitem__, keys))
        checks = [_ID_CHECK[2 * int(t[:17], 13) % 11] for t in texts]
        if None in dates or checks != [t[17] for t in texts]:
            return list(map(parse, texts))
        genders = ["男" if t[16] in _ODD_DIGITS else "女" for t in texts]
        return list(map(IdNumber, texts, dates, genders))  # type: ignore[arg-type]

    return parse, parse_many


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


def fast_mobiles(texts: list[str]) -> list[str]:
    """`fast_mobile` of each text cell: a list of clean 11-digit numbers is kept as it is."""
    if all(map(_CLEAN_MOBILE.fullmatch, texts)):
        return list(texts)
    return list(map(fast_mobile, texts))


def clean_names(texts: list[str]) -> list[str]:
    """`normalize_name` of each text cell: a list of names already clean (its shortcut: 1–40
    printable characters, no space, NFKC) is kept as it is."""
    joined = "".join(texts)
    if (
        all(texts)
        and max(map(len, texts), default=0) <= NAME_MAX
        and joined.isprintable()
        and " " not in joined
        and all(map(_nfkc_normalized, texts))
    ):
        return list(texts)
    return list(map(normalize_name, texts))


def teacher_columns(today: date) -> list[ColumnSpec]:
    """The 教师 template's columns; `today` bounds birth dates in ID numbers."""
    parse_id, parse_ids = fast_id_parsers(today)
    return [
        ColumnSpec("学号", "learner_no", parse=normalize_learner_no, unique=True),
        ColumnSpec("姓名", "name", required=True, parse=normalize_name, parse_many=clean_names),
        ColumnSpec(
            "身份证号",
            "id_number",
            required=True,
            parse=parse_id,
            unique=True,
            aliases=("身份证号码", "证件号码"),
            parse_many=parse_ids,
        ),
        ColumnSpec("性别", "gender", parse=memoised(parse_gender)),
        ColumnSpec("出生日期", "birth_date", parse=memoised(parse_date)),
        ColumnSpec(
            "手机号",
            "mobile",
            required=True,
            parse=fast_mobile,
            aliases=("手机号码",),
            parse_many=fast_mobiles,
        ),
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
        ColumnSpec("在岗状态", "status", parse=memoised(partial(check_in_list, "在岗状态"))),
        ColumnSpec("电子邮箱", "email", parse=normalize_email),
        ColumnSpec("通讯地址", "address", parse=normalize_address),
    ]


def _load_teacher_service() -> LoadedService:
    from jjadmin.services.teachers import import_teachers, read_ahead_teachers

    return LoadedService(import_teachers, read_ahead=read_ahead_teachers)


TEACHER_IMPORT = ImportKind(
    name="teacher",
    title="导入教师",
    reading="读取教师表",
    columns_on=teacher_columns,
    load=_load_teacher_service,
    roles=("city", "district", "school"),
    action="导入教师",
    bulk=True,
)
