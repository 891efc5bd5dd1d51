"""`jjadmin batch`: list, show, undo."""

from __future__ import annotations

from typing import Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._options import JsonOpt, LimitOpt, YesOpt
from jjadmin.commands._output import Col
from jjadmin.commands._prompt import confirm

app = typer.Typer(help="导入批次（谁、何时、哪个文件；可撤销）", no_args_is_help=True)

COLUMNS = [
    Col("id", "批次"),
    Col("kind", "类型", vocab="batch_kind"),
    Col("actor", "操作人"),
    Col("file_name", "文件"),
    Col("total", "总行数"),
    Col("created", "新增"),
    Col("updated", "更新"),
    Col("skipped", "跳过"),
    Col("rejected", "错误"),
    Col("state", "状态", vocab="batch_state"),
    Col("started_at", "时间"),
]


@app.command("list", epilog="示例：jjadmin batch list --limit 20")
def batch_list(ctx: typer.Context, limit: LimitOpt = 50, as_json: JsonOpt = False) -> None:
    """列出导入批次（最新在前）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import history_views

    rows, total = history_views.list_batches(service_context(ctx), limit=limit)
    out.table(rows, COLUMNS, total=total, title="导入批次")


@app.command("show", epilog="示例：jjadmin batch show 12")
def batch_show(
    ctx: typer.Context,
    batch_id: Annotated[int, typer.Argument(help="批次号")],
    as_json: JsonOpt = False,
) -> None:
    """显示一个导入批次（含文件 SHA-256）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import imports

    view = imports.show_batch(service_context(ctx), batch_id)
    out.record(
        view,
        [*COLUMNS, Col("unit", "单位"), Col("sha256", "SHA-256"), Col("undone_at", "撤销时间")],
        title=f"批次 {batch_id}",
    )


@app.command("undo", epilog="示例：jjadmin batch undo 12 --yes")
def batch_undo(
    ctx: typer.Context,
    batch_id: Annotated[int, typer.Argument(help="批次号")],
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """撤销一个批次自己的修改（之后被改动过的记录会被列出，且不做任何修改）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import imports
    from jjadmin.services.credits import grades as _grades  # noqa: F401  (the ledger follows)

    sc = service_context(ctx)
    if not yes:
        view = imports.show_batch(sc, batch_id)
        from jjadmin.commands._output import human
        from jjadmin.rules.labels import label

        summary = [
            f"批次 {batch_id}：{label('batch_kind', view.kind)}导入，文件 {view.file_name}，"
            f"{view.actor} 于 {human(view.started_at)}",
            f"撤销将删除该批次新增的 {view.created} 条记录，并把更新的 {view.updated} 条改回原值",
        ]
        confirm(f"撤销批次 {batch_id}？", yes=yes, summary=summary)
    counts = imports.undo_batch(sc, batch_id)
    out.result(f"已撤销批次 {batch_id}", batch_id=batch_id, **counts)
