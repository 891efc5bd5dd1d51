"""学时申报 sheet (SPEC §5: 学号*, 培训年度*, 项目名称*, 培训机构*, 开始日期*, 结束日期*, 学时*,
学时类型*, 证明材料): columns and cell parsers. 证明材料 is text (what the proof is, where the
paper is kept): a sheet cannot carry the files; `credits declare --attach` does."""

from __future__ import annotations

from functools import partial

from jjadmin.importers.columns import ColumnSpec
from jjadmin.importers.common import ImportKind, LoadedService
from jjadmin.rules.codes import normalize_learner_no
from jjadmin.rules.courses import check_text
from jjadmin.rules.declarations import parse_declared_hours, parse_hour_type, parse_year
from jjadmin.rules.ids import parse_date

__all__ = ["DECLARATION_COLUMNS", "DECLARATION_IMPORT"]

DECLARATION_COLUMNS = [
    ColumnSpec("学号", "learner_no", required=True, parse=normalize_learner_no),
    ColumnSpec("培训年度", "year", required=True, parse=parse_year, aliases=("年度",)),
    ColumnSpec(
        "项目名称",
        "project",
        required=True,
        parse=partial(check_text, label="项目名称", max_length=200),
        aliases=("课程（项目名称）", "课程名称"),
    ),
    ColumnSpec(
        "培训机构",
        "institution",
        required=True,
        parse=partial(check_text, label="培训机构", max_length=200),
    ),
    ColumnSpec("开始日期", "start", required=True, parse=parse_date),
    ColumnSpec("结束日期", "end", required=True, parse=parse_date),
    ColumnSpec("学时", "hours", required=True, parse=parse_declared_hours),
    ColumnSpec("学时类型", "hour_type", required=True, parse=parse_hour_type),
    ColumnSpec("证明材料", "proof", parse=partial(check_text, label="证明材料", max_length=200)),
]


def _load_declaration_service() -> LoadedService:
    from jjadmin.services.credits.declaration_import import import_declarations

    return LoadedService(import_declarations)


DECLARATION_IMPORT = ImportKind(
    name="declaration",
    title="导入学时申报",
    reading="读取学时申报表",
    columns=DECLARATION_COLUMNS,
    load=_load_declaration_service,
    roles=("city", "district", "school"),
    action="导入学时申报",
)
