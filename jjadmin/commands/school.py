"""`jjadmin school`: import, list, show, set, template, export."""

from __future__ import annotations

from typing import Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._imports import run_import_command, template_columns
from jjadmin.commands._options import (
    DistrictOpt,
    DryRunOpt,
    ErrorsToOpt,
    FileArg,
    FormatOpt,
    JsonOpt,
    LimitOpt,
    OffsetOpt,
    OutArg,
    OverwriteOpt,
    SheetOpt,
    SkipInvalidOpt,
)
from jjadmin.commands._output import Col
from jjadmin.exporters.files import claim_output

app = typer.Typer(help="学校管理", no_args_is_help=True)

LIST_COLUMNS = [
    Col("school_code", "学校代码"),
    Col("name", "学校名称"),
    Col("district_name", "所属区"),
    Col("school_type", "办学类型"),
    Col("nature", "学校性质"),
    Col("town", "所在镇街"),
    Col("head_name", "负责人"),
    Col("teachers", "在职教师", justify="right"),
]
SHOW_FIELDS = [
    Col("school_code", "学校代码"),
    Col("name", "学校名称"),
    Col("district_code", "所属区代码"),
    Col("district_name", "所属区"),
    Col("school_type", "办学类型"),
    Col("seal_name", "学校公章名"),
    Col("town", "所在镇街"),
    Col("nature", "学校性质"),
    Col("head_name", "负责人姓名"),
    Col("head_mobile", "负责人移动电话"),
    Col("teachers", "在职教师"),
    Col("updated_at", "更新时间"),
]


@app.command("import", epilog="示例：jjadmin school import 学校.xlsx --dry-run")
def school_import(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRunOpt = False,
    skip_invalid: SkipInvalidOpt = False,
    errors_to: ErrorsToOpt = None,
    overwrite: OverwriteOpt = False,
    sheet: SheetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """从学校表导入/更新学校（七项信息均为必填）。"""
    from jjadmin.importers.school import SCHOOL_IMPORT

    run_import_command(
        ctx,
        SCHOOL_IMPORT,
        file,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        errors_to=errors_to,
        sheet=sheet,
        as_json=as_json,
        overwrite=overwrite,
    )


@app.command("list", epilog="示例：jjadmin school list --district 440104")
def school_list(
    ctx: typer.Context,
    district: DistrictOpt = None,
    limit: LimitOpt = 1000,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """列出管辖范围内的学校。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import school_views

    rows, total = school_views.list_schools(
        service_context(ctx), district=district, limit=limit, offset=offset
    )
    out.table(rows, LIST_COLUMNS, total=total, title="学校列表")


@app.command("show", epilog="示例：jjadmin school show 4401040001")
def school_show(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="学校代码")],
    as_json: JsonOpt = False,
) -> None:
    """显示一所学校的信息。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import school_views

    out.record(school_views.show_school(service_context(ctx), code), SHOW_FIELDS, title="学校信息")


@app.command("set", epilog="示例：jjadmin school set 4401040001 --head-mobile 13800000003")
def school_set(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="学校代码")],
    name: Annotated[str | None, typer.Option("--name", help="学校名称")] = None,
    school_type: Annotated[str | None, typer.Option("--type", help="办学类型")] = None,
    seal_name: Annotated[str | None, typer.Option("--seal-name", help="学校公章名")] = None,
    town: Annotated[str | None, typer.Option("--town", help="所在镇街")] = None,
    nature: Annotated[str | None, typer.Option("--nature", help="学校性质")] = None,
    head_name: Annotated[str | None, typer.Option("--head-name", help="负责人姓名")] = None,
    head_mobile: Annotated[str | None, typer.Option("--head-mobile", help="负责人移动电话")] = None,
    as_json: JsonOpt = False,
) -> None:
    """修改学校信息（学校公章名是缴款通知书上的缴费单位名称，务必与公章一致）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import schools

    view = schools.set_school(
        service_context(ctx),
        code,
        name=name,
        school_type=school_type,
        seal_name=seal_name,
        town=town,
        nature=nature,
        head_name=head_name,
        head_mobile=head_mobile,
    )
    out.record(view, SHOW_FIELDS, title="已修改学校信息")


@app.command("template", epilog="示例：jjadmin school template 学校模板.xlsx（或 .csv）")
def school_template(
    ctx: typer.Context, file: OutArg, overwrite: OverwriteOpt = False, as_json: JsonOpt = False
) -> None:
    """生成空白学校导入模板（含下拉选项与说明页）。"""
    out = output(ctx, as_json=as_json)
    claim_output(file, overwrite=overwrite)  # never over an existing file unless asked
    from jjadmin.exporters.templates import write_template
    from jjadmin.importers.school import SCHOOL_COLUMNS

    cols = template_columns(
        SCHOOL_COLUMNS,
        text={"school_code", "district_code", "head_mobile"},
        lists={"school_type": "办学类型", "nature": "学校性质"},
    )
    write_template(
        file,
        cols,
        title="学校",
        notes=[
            "每行一所学校；学校代码为 10 位数字，所属区代码为 6 位行政区划代码。",
            "学校名称、办学类型、学校公章名、所在镇街、学校性质、负责人姓名、负责人移动电话七项均为必填。",
            "学校公章名是全员培训缴款通知书上的缴费单位名称，必须与报销发票上的单位名称一致。",
            "导入命令：jjadmin school import 本文件.xlsx（先加 --dry-run 校验）。",
        ],
    )
    out.result(f"已生成模板 {file}", file=str(file))


@app.command("export", epilog="示例：jjadmin school export 学校.xlsx --district 440104")
def school_export(
    ctx: typer.Context,
    file: OutArg,
    district: DistrictOpt = None,
    fmt: FormatOpt = None,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """导出管辖范围内的学校（xlsx 或 csv）。"""
    out = output(ctx, as_json=as_json)
    claim_output(file, overwrite=overwrite)  # never over an existing file unless asked
    from jjadmin.exporters.tabular import ExportColumn, write_table
    from jjadmin.services import schools

    rows = schools.export_rows(service_context(ctx), district=district)
    cols = [
        ExportColumn("school_code", "学校代码", text=True),
        ExportColumn("name", "学校名称"),
        ExportColumn("district_code", "所属区代码", text=True),
        ExportColumn("school_type", "办学类型"),
        ExportColumn("seal_name", "学校公章名"),
        ExportColumn("town", "所在镇街"),
        ExportColumn("nature", "学校性质"),
        ExportColumn("head_name", "负责人姓名"),
        ExportColumn("head_mobile", "负责人移动电话", text=True),
        ExportColumn("teachers", "在职教师数"),
    ]
    n = write_table(file, cols, rows, fmt=fmt, sheet_name="学校")  # type: ignore[arg-type]
    out.result(f"已导出 {n} 所学校到 {file}", file=str(file), rows=n)
