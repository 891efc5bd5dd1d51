"""课程 template: columns and cell parsers (SPEC §5).

Cross-column rules (区级 needs 所属区代码, 校本 needs 学校代码, 提升工程 needs 提升工程类别) and
every check against the database live in services.courses.import_courses.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from jjadmin.errors import InvalidValue
from jjadmin.importers.columns import ColumnSpec
from jjadmin.importers.common import ImportKind, LoadedService
from jjadmin.rules.codes import normalize_course_code, parse_period_code
from jjadmin.rules.courses import check_text, parse_capacity, parse_status, parse_value_set
from jjadmin.rules.enums import check_in_list
from jjadmin.rules.ids import normalize_district_code, normalize_school_code
from jjadmin.rules.money import parse_hours, parse_money

__all__ = ["COURSE_COLUMNS", "COURSE_IMPORT", "TEXT_KEYS", "VALUE_LISTS", "parse_course_hours"]


def parse_course_hours(value: object) -> Decimal:
    """学时 of a course: more than 0, at most one decimal ('2.5'). Raises InvalidValue."""
    hours = parse_hours(value)
    if hours <= 0:
        raise InvalidValue("学时必须大于 0", code="hours-invalid")
    return hours


def _text(label: str, max_length: int) -> partial[str | None]:
    return partial(check_text, label=label, max_length=max_length)


COURSE_COLUMNS = [
    ColumnSpec("期数", "period", required=True, parse=parse_period_code),
    ColumnSpec("课程编号", "course_code", required=True, parse=normalize_course_code),
    ColumnSpec("课程名称", "name", required=True, parse=_text("课程名称", 200)),
    ColumnSpec(
        "培训级别", "training_level", required=True, parse=partial(check_in_list, "培训级别")
    ),
    ColumnSpec("课程属性", "attribute", parse=partial(check_in_list, "课程属性")),
    ColumnSpec("课程类型", "course_type", required=True, parse=partial(check_in_list, "课程类型")),
    ColumnSpec("学时类型", "hour_type", required=True, parse=partial(check_in_list, "学时类型")),
    ColumnSpec("学时", "hours", required=True, parse=parse_course_hours),
    ColumnSpec("培训费用", "fee", required=True, parse=parse_money),
    ColumnSpec("教材费用", "material_fee", parse=parse_money),
    ColumnSpec("主讲教师", "lecturer", parse=_text("主讲教师", 100)),
    ColumnSpec("申报单位", "declarer", parse=_text("申报单位", 100)),
    ColumnSpec("收费单位", "charging_unit", required=True, parse=_text("收费单位", 100)),
    ColumnSpec("培训对象", "audience", parse=_text("培训对象", 200)),
    ColumnSpec("容量", "capacity", parse=parse_capacity),
    ColumnSpec("状态", "status", parse=parse_status),
    ColumnSpec("所属区代码", "district_code", parse=normalize_district_code),
    ColumnSpec("学校代码", "school_code", parse=normalize_school_code),
    ColumnSpec("提升工程类别", "ability_category", parse=partial(check_in_list, "提升工程类别")),
    ColumnSpec("适用学段", "stages", parse=partial(parse_value_set, "任教学段")),
    ColumnSpec("适用学科", "subjects", parse=partial(parse_value_set, "任教学科")),
    # 提升工程: the course's dimension of the ICT-competence standard (optional)
    ColumnSpec("能力维度", "ability_dimension", parse=partial(check_in_list, "能力维度")),
]

# For `course template`: text-formatted code columns and drop-down lists.
TEXT_KEYS = frozenset({"period", "course_code", "district_code", "school_code"})
VALUE_LISTS = {
    "training_level": "培训级别",
    "attribute": "课程属性",
    "course_type": "课程类型",
    "hour_type": "学时类型",
    "ability_category": "提升工程类别",
    "ability_dimension": "能力维度",
}


def _load_course_service() -> LoadedService:
    from jjadmin.services.courses import import_courses

    return LoadedService(import_courses)


COURSE_IMPORT = ImportKind(
    name="course",
    title="导入课程",
    reading="读取课程表",
    columns=COURSE_COLUMNS,
    load=_load_course_service,
    roles=("city", "district", "institution"),
    action="导入课程",
)
