"""What every `* import` command does: run the declared import kind, render the report, write
the error workbook, exit 1 when any row was rejected."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._output import Output

if TYPE_CHECKING:
    from jjadmin.importers.columns import ColumnSpec
    from jjadmin.importers.common import ImportKind, ImportOutcome
    from jjadmin.services.results import RowIssue


def run_import_command(
    ctx: typer.Context,
    kind: ImportKind,
    file: Path,
    *,
    dry_run: bool,
    skip_invalid: bool,
    errors_to: Path | None,
    sheet: str | None,
    as_json: bool,
    overwrite: bool = False,
    before_report: Callable[[Output, ImportOutcome], None] | None = None,
    **service_kwargs: Any,
) -> ImportOutcome:
    """What every `* import` command does: read `file` as `kind` declares, call its service,
    render the report, write the error workbook, exit 1 when any row was rejected.

    `service_kwargs` go to the kind's service (e.g. `period=`, `upsert=`).
    """
    out = output(ctx, as_json=as_json)
    from jjadmin.importers.common import run_import_kind
    from jjadmin.services.results import ImportOptions

    if errors_to is not None:  # before anything is read or written
        from jjadmin.exporters.files import claim_output

        claim_output(errors_to, overwrite=overwrite, inputs=(file,))
    sc = service_context(ctx)
    with out.progress(kind.reading) as progress:
        outcome = run_import_kind(
            sc,
            kind,
            file,
            options=ImportOptions(dry_run, skip_invalid),
            sheet=sheet,
            progress=progress,
            **service_kwargs,
        )
    if before_report is not None:
        before_report(out, outcome)
    finish_import(out, outcome, errors_to=errors_to, title=kind.title)
    return outcome


def finish_import(
    out: Output,
    outcome: ImportOutcome,
    *,
    errors_to: Path | None,
    title: str = "导入",
    refusal: tuple[str, str] | None = None,
) -> None:
    """Render the report; write the error workbook to `errors_to`; exit 1 when any row was
    bad.

    The workbook is one to fix and import again (SPEC §5): when nothing was written (an
    all-or-nothing refusal, a dry run) it holds every row of the file, the good ones
    unmarked, so that importing the fixed workbook imports everything; when --skip-invalid
    wrote the good rows it holds only the rejected ones.
    """
    report = outcome.report
    if errors_to is not None and report.issues:
        from jjadmin.exporters.errors_workbook import write_error_workbook

        by_row: dict[int, list[RowIssue]] = {}
        for issue in report.issues:
            by_row.setdefault(issue.row, []).append(issue)
        every_row = report.batch_id is None
        rows = [
            (r.row, r.raw, by_row.get(r.row, ()))
            for r in outcome.table.rows
            if every_row or r.row in by_row
        ]
        schema = [i for i in report.issues if i.category == "schema"]
        if schema and not rows:
            rows = [(outcome.table.header_row, tuple(outcome.table.headers), schema)]
        written = write_error_workbook(errors_to, outcome.table.headers, rows)
        bad = len(report.rejected_rows)
        if every_row:
            out.info(
                f"已把全部 {written} 行写入 {errors_to}（其中 {bad} 行有错误，已标红）；"
                "改正后导入该文件即可导入全部数据"
            )
        else:
            out.info(
                f"已把 {written} 行错误数据写入 {errors_to}（其余行已导入）；改正后导入该文件即可"
            )
    out.report(report, title=title)
    if not report.ok:
        if not out.as_json:
            if report.dry_run:
                out.err.print("[red]校验未通过[/red]")
            elif refusal is not None:  # a sheet judged whole (no --skip-invalid)
                out.err.print(f"[red]错误：{refusal[0]}[/red]")
                out.hint(refusal[1])
            elif report.batch_id is None and report.created == 0 and report.updated == 0:
                out.err.print("[red]错误：导入数据有错误，未写入任何数据[/red]")
                out.hint(
                    "改正后重新导入；或加 --skip-invalid 只导入正确的行；"
                    "--errors-to 错误.xlsx 导出全部行（错误行标红）"
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
