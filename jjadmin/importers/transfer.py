"""调动 template: columns and cell parsers (SPEC §5: 学号*, 调入学校代码*, 备注)."""

from __future__ import annotations

from jjadmin.errors import InputRejected, InvalidValue
from jjadmin.importers.columns import ColumnSpec, cell_text
from jjadmin.importers.common import ImportKind, LoadedService
from jjadmin.rules.codes import normalize_learner_no
from jjadmin.rules.ids import normalize_school_code
from jjadmin.services.transfers import clean_note


def parse_note(value: object) -> str | None:
    """备注: free text up to the length the transfer record keeps."""
    text = value if isinstance(value, str) else cell_text(value)
    try:
        return clean_note(text)
    except InputRejected as exc:
        raise InvalidValue(exc.message, code="too-long") from exc


TRANSFER_COLUMNS = [
    ColumnSpec("学号", "learner_no", required=True, parse=normalize_learner_no, unique=True),
    ColumnSpec("调入学校代码", "to_school", required=True, parse=normalize_school_code),
    ColumnSpec("备注", "note", parse=parse_note),
]


def _load_transfer_service() -> LoadedService:
    from jjadmin.services.transfers import import_transfers

    return LoadedService(import_transfers)


TRANSFER_IMPORT = ImportKind(
    name="transfer",
    title="导入调动申请",
    reading="读取调动表",
    columns=TRANSFER_COLUMNS,
    load=_load_transfer_service,
    roles=("city", "district", "school"),
    action="导入调动申请",
)
