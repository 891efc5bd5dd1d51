"""诊断测评答题卡 (`ability questionnaire` writes it blank, `ability assess` reads it back):
题号* (1–20, each once), 题目 (ignored: the item is its number), 答案* (A–D)."""

from __future__ import annotations

from jjadmin.importers.columns import ColumnSpec
from jjadmin.importers.common import ImportKind, LoadedService
from jjadmin.rules.ability import parse_answer, parse_item_number

ANSWER_COLUMNS = [
    ColumnSpec("题号", "item", required=True, parse=parse_item_number, unique=True),
    ColumnSpec("题目", "text"),
    ColumnSpec("答案", "answer", required=True, parse=parse_answer, aliases=("选项",)),
]


def _load_assess_service() -> LoadedService:
    from jjadmin.services.ability.assess import assess_answers

    return LoadedService(assess_answers)


ASSESS_IMPORT = ImportKind(
    name="ability_assess",
    title="诊断测评",
    reading="读取答题卡",
    columns=ANSWER_COLUMNS,
    load=_load_assess_service,
    roles=("teacher", "school", "district", "city"),
    action="进行诊断测评",
)
