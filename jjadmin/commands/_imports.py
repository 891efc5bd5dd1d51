"""What every import command does after the service returns: render, error workbook, exit code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from jjadmin.commands._output import Output

if TYPE_CHECKING:
    from jjadmin.importers.columns import ColumnSpec
    from jjadmin.importers.common import ImportOutcome


def finish_import(
    out: Output, outcome: ImportOutcome, *, errors_to: Path | None, title: str = "导入"
) -> None:
    """Render the report; write rejected rows to `errors_to`; exit 1 when any row was bad."""
    report = outcome.report
    if errors_to is not None and report.issues:
        from jjadmin.exporters.errors_workbook import write_error_workbook

        by_row: dict[int, list] = {}  # type: ignore[type-arg]
        for issue in report.issues:
            by_row.setdefault(issue.row, []).append(issue)
        rows = [(r.row, r.raw, by_row[r.row]) for r in outcome.table.rows if r.row in by_row]
        schema = [i for i in report.issues if i.category == "schema"]
        if schema and not rows:
            rows = [(outcome.table.header_row, tuple(outcome.table.headers), schema)]
        written = write_error_workbook(errors_to, outcome.table.headers, rows)
        out.info(f"已把 {written} 行错误数据写入 {errors_to}（改正后可直接导入该文件）")
    out.report(report, title=title)
    if not report.ok:
        if not out.as_json:
            if report.dry_run:
                out.err.print("[red]校验未通过[/red]")
            elif report.batch_id is None and report.created == 0 and report.updated == 0:
                out.err.print("[red]错误：导入数据有错误，未写入任何数据[/red]")
                out.hint(
                    "改正后重新导入；或加 --skip-invalid 只导入正确的行；"
                    "--errors-to 错误.xlsx 导出错误行"
                )
            else:
                out.err.print("[yellow]已跳过错误行，其余行已写入[/yellow]")
        raise typer.Exit(1)


def template_columns(
    specs: Sequence[ColumnSpec],
    *,
    text: set[str] = frozenset(),  # type: ignore[assignment]
    lists: Mapping[str, str] | None = None,
    comments: Mapping[str, str] | None = None,
) -> list:  # type: ignore[type-arg]
    """TemplateColumns from import specs: text-formatted code columns, value-list drop-downs."""
    from jjadmin.exporters.templates import TemplateColumn
    from jjadmin.rules.enums import value_list

    lists = lists or {}
    comments = comments or {}
    return [
        TemplateColumn(
            header=s.header,
            required=s.required,
            text=s.key in text,
            choices=value_list(lists[s.key]) if s.key in lists else (),
            comment=comments.get(s.key),
        )
        for s in specs
    ]
