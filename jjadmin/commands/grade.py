"""`jjadmin grade`: 成绩管理 — import (成绩登记), list (学员成绩查询), stats (课程通过率),
template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._imports import run_import_command, template_columns
from jjadmin.commands._options import (
    DryRunOpt,
    ErrorsToOpt,
    FileArg,
    JsonOpt,
    LimitOpt,
    OffsetOpt,
    OutArg,
    OverwriteOpt,
    PeriodOpt,
    SchoolOpt,
    SheetOpt,
    SkipInvalidOpt,
)
from jjadmin.commands._output import Col

app = typer.Typer(help="成绩管理", no_args_is_help=True)

BAR_WIDTH = 30
LIST_COLUMNS = [
    Col("learner_no", "学号"),
    Col("name", "姓名"),
    Col("school_code", "学校代码"),
    Col("course_code", "课程编号"),
    Col("course_name", "课程名称"),
    Col("hour_type", "学时类型"),
    Col("hours", "学时", justify="right"),
    Col("score", "成绩", justify="right"),
    Col("passed", "是否通过", fmt=lambda v: "通过" if v else "未通过"),
    Col("remark", "备注"),
]
STATS_HEADERS = {
    "course_code": "课程编号",
    "course_name": "课程名称",
    "passed": "通过人数",
    "not_passed": "未通过人数",
    "total": "总人数",
    "rate": "学员通过率",
}


@app.command("import")
def grade_import(
    ctx: typer.Context,
    file: FileArg,
    period: Annotated[
        str | None, typer.Option("--period", help="期数，如 2601（表中有“期数”列时可不填）")
    ] = None,
    dry_run: DryRunOpt = False,
    skip_invalid: SkipInvalidOpt = False,
    errors_to: ErrorsToOpt = None,
    overwrite: OverwriteOpt = False,
    sheet: SheetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """成绩登记：从成绩表导入（学号、课程编号、成绩 0–100 或 合格/不合格、备注）。

    通过（≥60 或 合格）的课程按课程学时、学时类型计入该期所在年度的学时；重新登记会替换原成绩，
    通过后改为不通过会撤销该课程的学时。市级可登记全部课程，区登记本区区级课程，培训机构登记本
    机构的课程，学校只能登记本校本年度的校本课程。

    示例: jjadmin grade import 成绩.xlsx --period 2601 --dry-run
    """
    from jjadmin.importers.grade import GRADE_IMPORT
    from jjadmin.rules.codes import parse_period_code

    if period is not None:
        period = parse_period_code(period)  # a malformed period fails before the file is read
    run_import_command(
        ctx,
        GRADE_IMPORT,
        file,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        errors_to=errors_to,
        sheet=sheet,
        as_json=as_json,
        overwrite=overwrite,
        period=period,
    )


@app.command("list")
def grade_list(
    ctx: typer.Context,
    period: PeriodOpt,
    course: Annotated[str | None, typer.Option("--course", help="课程编号")] = None,
    school: SchoolOpt = None,
    passed: Annotated[
        bool | None, typer.Option("--passed/--failed", help="只看通过 / 未通过")
    ] = None,
    limit: LimitOpt = 1000,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """学员成绩查询：本单位范围内某期的成绩（可按课程、学校筛选）。

    示例: jjadmin grade list --period 2601 --course C001 --json
    """
    out = output(ctx, as_json=as_json)
    from jjadmin.services.credits.grade_queries import list_grades

    views, total = list_grades(
        service_context(ctx),
        period=period,
        course=course,
        school=school,
        passed=passed,
        limit=limit,
        offset=offset,
    )
    out.table(views, LIST_COLUMNS, total=total, title=f"{period} 期成绩")


@app.command("stats")
def grade_stats(
    ctx: typer.Context,
    period: PeriodOpt,
    school: SchoolOpt = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="导出课程通过率（.xlsx 或 .csv）")
    ] = None,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """课程通过率：每门课程的通过人数、未通过人数（含未登记成绩）、总人数和学员通过率。

    示例: jjadmin grade stats --period 2601 --out 课程通过率.xlsx
    """
    out = output(ctx, as_json=as_json)
    if out_file is not None:
        from jjadmin.exporters.files import claim_output

        claim_output(out_file, overwrite=overwrite)
    from jjadmin.services.credits.grade_queries import pass_rates

    rates = pass_rates(service_context(ctx), period=period, school=school)
    items = [
        {
            "course_code": r.course_code,
            "course_name": r.course_name,
            "passed": r.passed,
            "not_passed": r.not_passed,
            "total": r.total,
            "graded": r.graded,
            "rate": r.rate,
        }
        for r in rates
    ]
    extra: dict[str, Any] = {"period": period}
    if out_file is not None:
        from jjadmin.exporters.tabular import ExportColumn
        from jjadmin.exporters.xlsx_stream import write_rows

        columns = [
            ExportColumn(key, header, text=key in ("course_code", "rate"))
            for key, header in STATS_HEADERS.items()
        ]
        write_rows(out_file, columns, items, sheet_name="课程通过率")
        extra["file"] = str(out_file)
        if not as_json:
            out.info(f"已导出课程通过率到 {out_file}")
    if as_json:
        out.emit({"items": items, "total": len(items), **extra})
        return
    if not items:
        out.err.print("[dim]没有符合条件的记录[/dim]")
        return
    from rich.table import Table

    table = Table(title=f"{period} 期课程通过率")
    for header in STATS_HEADERS.values():
        table.add_column(header, justify="left" if header.startswith("课程") else "right")
    table.add_column("", no_wrap=True)
    for r in rates:
        width = round(r.passed * BAR_WIDTH / r.total) if r.total else 0
        table.add_row(
            r.course_code,
            r.course_name,
            str(r.passed),
            str(r.not_passed),
            str(r.total),
            r.rate,
            f"[green]{'█' * width}[/green]",
        )
    out.out.print(table)


@app.command("template")
def grade_template(
    ctx: typer.Context, file: OutArg, overwrite: OverwriteOpt = False, as_json: JsonOpt = False
) -> None:
    """生成空白成绩导入模板（学号、课程编号、成绩、备注、期数）。

    示例: jjadmin grade template 成绩模板.xlsx
    """
    out = output(ctx, as_json=as_json)
    from jjadmin.exporters.files import claim_output
    from jjadmin.exporters.templates import write_template
    from jjadmin.importers.grade import GRADE_COLUMNS

    claim_output(file, overwrite=overwrite)
    write_template(
        file,
        template_columns(
            GRADE_COLUMNS,
            text={"learner_no", "course_code", "period"},
            comments={"score": "0–100 的分数（最多一位小数），或“合格”/“不合格”"},
        ),
        title="成绩",
        notes=[
            "每行一条成绩：学号（14 位继续教育学号）、课程编号、成绩（0–100，或 合格/不合格）。",
            "成绩 ≥ 60 或“合格”为通过，通过的课程按课程学时计入该期所在年度的学时。",
            "只能登记已录取（有效选课）的学员；同一学号同一课程再次导入会替换原成绩。",
            "期数可填在“期数”列，或导入时用 --period 指定。",
            "导入命令：jjadmin grade import 本文件.xlsx --period 2601（先加 --dry-run 校验）。",
        ],
    )
    out.result(f"已生成模板 {file}", file=str(file))
