"""取消特殊用户 sheet of a school (the filled 附表2 reads as it is): 学号* (学员学号), 姓名
(学员姓名, if given it must be the 学号's teacher); other columns (序号, 身份证号码, 取消课程)
are ignored."""

from __future__ import annotations

from jjadmin.importers.columns import ColumnSpec
from jjadmin.importers.common import ImportKind, LoadedService
from jjadmin.rules.codes import normalize_learner_no

CLEARING_COLUMNS = [
    ColumnSpec(
        "学号",
        "learner_no",
        required=True,
        parse=normalize_learner_no,
        unique=True,
        aliases=("学员学号",),
    ),
    ColumnSpec("姓名", "name", aliases=("学员姓名",)),
]


def _load_clearing_service() -> LoadedService:
    from jjadmin.services.billing.clearing import import_clearing

    return LoadedService(import_clearing)


CLEARING_IMPORT = ImportKind(
    name="special_user_clear",
    title="集体取消特殊用户",
    reading="读取取消特殊用户名单",
    columns=CLEARING_COLUMNS,
    load=_load_clearing_service,
    roles=("city", "district"),
    action="集体取消特殊用户",
)
