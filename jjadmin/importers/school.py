"""学校 template: columns and cell parsers (SPEC §5)."""

from __future__ import annotations

from functools import partial

from jjadmin.importers.columns import ColumnSpec
from jjadmin.importers.common import ImportKind, LoadedService
from jjadmin.rules.enums import check_in_list
from jjadmin.rules.ids import normalize_district_code, normalize_mobile, normalize_school_code

SCHOOL_COLUMNS = [
    ColumnSpec("学校代码", "school_code", required=True, parse=normalize_school_code, unique=True),
    ColumnSpec("学校名称", "name", required=True),
    ColumnSpec("所属区代码", "district_code", required=True, parse=normalize_district_code),
    ColumnSpec("办学类型", "school_type", required=True, parse=partial(check_in_list, "办学类型")),
    ColumnSpec("学校公章名", "seal_name", required=True),
    ColumnSpec("所在镇街", "town", required=True),
    ColumnSpec("学校性质", "nature", required=True, parse=partial(check_in_list, "学校性质")),
    ColumnSpec("负责人姓名", "head_name", required=True),
    ColumnSpec("负责人移动电话", "head_mobile", required=True, parse=normalize_mobile),
]


def _load_school_service() -> LoadedService:
    from jjadmin.services.schools import import_schools

    return LoadedService(import_schools)


SCHOOL_IMPORT = ImportKind(
    name="school",
    title="导入学校",
    reading="读取学校表",
    columns=SCHOOL_COLUMNS,
    load=_load_school_service,
    roles=("city", "district"),
    action="导入学校",
)
