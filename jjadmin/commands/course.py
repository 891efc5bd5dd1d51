"""`jjadmin course`: 课程管理 (import, list, show, export, template; 校本课程申报与审核)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._filters import choice_option, values_option
from jjadmin.commands._imports import run_import_command, template_columns
from jjadmin.commands._options import (
    DryRunOpt,
    ErrorsToOpt,
    FileArg,
    FormatOpt,
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
from jjadmin.exporters.files import claim_output
from jjadmin.rules import labels

app = typer.Typer(help="课程管理", no_args_is_help=True)

CodeArg = Annotated[str, typer.Argument(help="课程编号")]
LevelOpt = Annotated[str | None, values_option("--level", labels.LEVELS, help="培训级别")]
HourTypeOpt = Annotated[
    str | None, values_option("--hour-type", labels.HOUR_TYPES, help="学时类型")
]
SubjectOpt = Annotated[str | None, typer.Option("--subject", help="适用学科，如 语文")]
StageOpt = Annotated[str | None, typer.Option("--stage", help="适用学段，如 小学")]
StatusOpt = Annotated[str | None, choice_option("--status", labels.COURSE_STATUS, help="状态")]
ApprovalOpt = Annotated[
    str | None, choice_option("--approval", labels.APPROVAL_STATE, help="审核状态")
]
CodeFilterOpt = Annotated[str | None, typer.Option("--code", help="课程编号包含")]

APPROVAL_TEXT = {"pending": "待审核", "approved": "已通过", "rejected": "已驳回"}


def _approval(value: object) -> str:
    return APPROVAL_TEXT.get(str(value), str(value or ""))


def _capacity(value: object) -> str:
    return "不限" if value is None else str(value)


LIST_COLUMNS = [
    Col("course_code", "课程编号"),
    Col("name", "课程名称"),
    Col("training_level", "培训级别"),
    Col("course_type", "课程类型"),
    Col("hour_type", "学时类型"),
    Col("hours", "学时", justify="right"),
    Col("fee", "培训费用", justify="right"),
    Col("charging_unit", "收费单位"),
    Col("enrolled", "已选", justify="right"),
    Col("capacity", "容量", fmt=_capacity, justify="right"),
    Col("status", "状态"),
    Col("approval", "审核", fmt=_approval),
]
SHOW_FIELDS = [
    Col("period", "期数"),
    Col("course_code", "课程编号"),
    Col("name", "课程名称"),
    Col("training_level", "培训级别"),
    Col("attribute", "课程属性"),
    Col("course_type", "课程类型"),
    Col("hour_type", "学时类型"),
    Col("hours", "学时"),
    Col("fee", "培训费用"),
    Col("material_fee", "教材费用"),
    Col("lecturer", "主讲教师"),
    Col("declarer", "申报单位"),
    Col("charging_unit", "收费单位"),
    Col("audience", "培训对象"),
    Col("capacity", "容量", fmt=_capacity),
    Col("enrolled", "已选人数"),
    Col("status", "状态"),
    Col("district_code", "所属区代码"),
    Col("school_code", "学校代码"),
    Col("ability_category", "提升工程类别"),
    Col("stages", "适用学段"),
    Col("subjects", "适用学科"),
    Col("approval", "审核状态", fmt=_approval),
    Col("approval_reason", "审核意见"),
]


@app.command("import", epilog="示例: jjadmin course import 课程.xlsx --dry-run")
def course_import(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRunOpt = False,
    skip_invalid: SkipInvalidOpt = False,
    errors_to: ErrorsToOpt = None,
    overwrite: OverwriteOpt = False,
    sheet: SheetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """从课程表导入/更新课程（五种培训级别；同一期数内课程编号唯一）。"""
    from jjadmin.importers.course import COURSE_IMPORT

    run_import_command(
        ctx,
        COURSE_IMPORT,
        file,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        errors_to=errors_to,
        sheet=sheet,
        as_json=as_json,
        overwrite=overwrite,
    )


@app.command("list", epilog="示例: jjadmin course list --period 2601 --level 区级培训 --json")
def course_list(
    ctx: typer.Context,
    period: PeriodOpt = "",
    level: LevelOpt = None,
    hour_type: HourTypeOpt = None,
    subject: SubjectOpt = None,
    stage: StageOpt = None,
    status: StatusOpt = None,
    school: SchoolOpt = None,
    approval: ApprovalOpt = None,
    code: CodeFilterOpt = None,
    limit: LimitOpt = 1000,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """列出一期中本单位可见的课程（可按级别、学时类型、学科、学段、状态等筛选）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import course_listing as courses

    filters = courses.CourseFilter(
        level=level,
        hour_type=hour_type,
        subject=subject,
        stage=stage,
        status=status,
        school=school,
        approval=approval,
        code=code,
    )
    rows, total = courses.list_courses(
        service_context(ctx), period=period, filters=filters, limit=limit, offset=offset
    )
    out.table(rows, LIST_COLUMNS, total=total, title=f"{period} 期课程")


@app.command("show", epilog="示例: jjadmin course show GZ2601001 --period 2601")
def course_show(
    ctx: typer.Context, code: CodeArg, period: PeriodOpt = "", as_json: JsonOpt = False
) -> None:
    """显示一门课程的详细信息。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import course_listing as courses

    view = courses.show_course(service_context(ctx), period=period, code=code)
    out.record(view, SHOW_FIELDS, title="课程信息")


@app.command("export", epilog="示例: jjadmin course export 课程.xlsx --period 2601")
def course_export(
    ctx: typer.Context,
    file: OutArg,
    period: PeriodOpt = "",
    level: LevelOpt = None,
    hour_type: HourTypeOpt = None,
    subject: SubjectOpt = None,
    stage: StageOpt = None,
    status: StatusOpt = None,
    school: SchoolOpt = None,
    fmt: FormatOpt = None,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """导出一期中本单位可见的课程（课程模板的列，可改后再导入）。"""
    out = output(ctx, as_json=as_json)
    claim_output(file, overwrite=overwrite)  # never over an existing file unless asked
    from jjadmin.exporters.tabular import ExportColumn, write_table
    from jjadmin.services import courses

    filters = courses.CourseFilter(
        level=level, hour_type=hour_type, subject=subject, stage=stage, status=status, school=school
    )
    rows = courses.export_rows(service_context(ctx), period=period, filters=filters)
    text_keys = {"period", "course_code", "district_code", "school_code"}
    money_keys = {"fee", "material_fee"}
    cols = [
        ExportColumn(key, header, text=key in text_keys, money=key in money_keys)
        for key, header in courses.HEADERS.items()
    ]
    cols += [ExportColumn("enrolled", "已选人数"), ExportColumn("approval", "审核状态")]
    n = write_table(file, cols, rows, fmt=fmt, sheet_name="课程")  # type: ignore[arg-type]
    out.result(f"已导出 {n} 门课程到 {file}", file=str(file), rows=n)


@app.command("template", epilog="示例: jjadmin course template 课程模板.xlsx")
def course_template(
    ctx: typer.Context, file: OutArg, overwrite: OverwriteOpt = False, as_json: JsonOpt = False
) -> None:
    """生成空白课程导入模板（含下拉选项与说明页）。"""
    out = output(ctx, as_json=as_json)
    claim_output(file, overwrite=overwrite)  # never over an existing file unless asked
    from jjadmin.exporters.templates import write_template
    from jjadmin.importers.course import COURSE_COLUMNS, TEXT_KEYS, VALUE_LISTS
    from jjadmin.rules.courses import STATUSES

    cols = template_columns(
        COURSE_COLUMNS,
        text=set(TEXT_KEYS),
        lists=VALUE_LISTS,
        comments={
            "period": "期数 YYNN，如 2601（2026年上半年）、2602（下半年）",
            "course_code": "最多 20 个字符（字母、数字、-、_），同一期数内唯一",
            "hours": "可有一位小数，如 2.5",
            "fee": "单位：元，如 120 或 1,200.50",
            "capacity": "正整数；留空表示不限人数",
            "district_code": "区级培训必填（6 位区代码）",
            "school_code": "校本培训必填（10 位学校代码）",
            "ability_category": "提升工程课程必填",
            "stages": "多个用“、”分隔，如 小学、初中；留空表示不限",
            "subjects": "多个用“、”分隔，如 语文、数学；留空表示不限",
        },
    )
    status_index = next(i for i, s in enumerate(COURSE_COLUMNS) if s.key == "status")
    cols[status_index] = replace(cols[status_index], choices=STATUSES)
    write_template(
        file,
        cols,
        title="课程",
        notes=[
            "每行一门课程；红色表头为必填列。",
            "培训级别：全员培训（市级）、区级培训（须填所属区代码）、校本培训（须填学校代码）、"
            "专项培训、提升工程（须填提升工程类别）。",
            "同一期数内课程编号唯一；再次导入同一课程会更新有变化的字段。",
            "导入命令：jjadmin course import 本文件.xlsx（先加 --dry-run 校验）。",
        ],
    )
    out.result(f"已生成模板 {file}", file=str(file))


@app.command(
    "declare",
    epilog="示例: jjadmin course declare --code XB001 --name 校本研修 --hours 16 "
    "--hour-type 专业科目 --type 面授",
)
def course_declare(
    ctx: typer.Context,
    code: Annotated[str, typer.Option("--code", help="课程编号")],
    name: Annotated[str, typer.Option("--name", help="课程名称")],
    hours: Annotated[str, typer.Option("--hours", help="学时，如 16 或 2.5")],
    hour_type: Annotated[str, typer.Option("--hour-type", help="学时类型")],
    course_type: Annotated[str, typer.Option("--type", help="课程类型：远程/面授/混合")],
    period: Annotated[str | None, typer.Option("--period", help="期数（默认当前期数）")] = None,
    fee: Annotated[str, typer.Option("--fee", help="培训费用（元）")] = "0",
    material_fee: Annotated[str, typer.Option("--material-fee", help="教材费用（元）")] = "0",
    attribute: Annotated[
        str | None, typer.Option("--attribute", help="课程属性：必修/选修")
    ] = None,
    lecturer: Annotated[str | None, typer.Option("--lecturer", help="主讲教师")] = None,
    audience: Annotated[str | None, typer.Option("--audience", help="培训对象")] = None,
    capacity: Annotated[str | None, typer.Option("--capacity", help="容量（留空不限）")] = None,
    stages: Annotated[str | None, typer.Option("--stages", help="适用学段，如 小学、初中")] = None,
    subjects: Annotated[str | None, typer.Option("--subjects", help="适用学科")] = None,
    as_json: JsonOpt = False,
) -> None:
    """申报校本培训课程（学校）；待审核时可用同一编号再次申报以修改。申报截止为本年度 12-31。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import courses

    declaration = courses.Declaration(
        code=code,
        name=name,
        hours=hours,
        hour_type=hour_type,
        course_type=course_type,
        fee=fee,
        material_fee=material_fee,
        attribute=attribute,
        lecturer=lecturer,
        audience=audience,
        capacity=capacity,
        stages=stages,
        subjects=subjects,
    )
    view = courses.declare_course(service_context(ctx), declaration=declaration, period=period)
    out.record(view, SHOW_FIELDS, title="已提交校本课程申报（待区级审核）")


@app.command("approve", epilog="示例: jjadmin course approve XB001 --period 2601")
def course_approve(
    ctx: typer.Context, code: CodeArg, period: PeriodOpt = "", as_json: JsonOpt = False
) -> None:
    """审核通过校本培训课程（学校所在区的区级管理员，或市级）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import courses

    view = courses.approve_course(service_context(ctx), period=period, code=code)
    out.record(view, SHOW_FIELDS, title="校本课程已审核通过")


@app.command("reject", epilog="示例: jjadmin course reject XB001 --period 2601 --reason 学时不符")
def course_reject(
    ctx: typer.Context,
    code: CodeArg,
    reason: Annotated[str, typer.Option("--reason", help="驳回原因")],
    period: PeriodOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """驳回校本培训课程申报（须填写原因；学校可修改后重新申报）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import courses

    view = courses.reject_course(service_context(ctx), period=period, code=code, reason=reason)
    out.record(view, SHOW_FIELDS, title="校本课程申报已驳回")
