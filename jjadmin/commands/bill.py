"""`jjadmin bill`: 缴费管理 — generate, list, show, notice (缴款通知书), pay, import-payments,
admissions (选课录取查询), declaration (学校交费申报表), summary (单位缴费查询), template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._filters import choice_option
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
    OwnSchoolOpt,
    PeriodOpt,
    SchoolOpt,
    SheetOpt,
    SkipInvalidOpt,
)
from jjadmin.commands._output import Col, Output
from jjadmin.rules import labels

app = typer.Typer(help="缴费管理", no_args_is_help=True)

BILL_STATES = {"unpaid": "未缴费", "paid": "已缴费", "void": "已作废"}
BillArg = Annotated[str, typer.Argument(help="账单号，如 ZD2601-000001")]
OptionalPeriodOpt = Annotated[str | None, typer.Option("--period", help="期数，如 2601")]
UnitOpt = Annotated[str | None, typer.Option("--unit", help="收费单位名称")]
OutOpt = Annotated[Path, typer.Option("--out", help="输出文件")]


def _when(value: Any) -> str:
    return str(value or "")[:16].replace("T", " ")


def _state(value: Any) -> str:
    return BILL_STATES.get(str(value), str(value or ""))


# 账单 (SPEC §5 fixed columns): 期数, 账单号, 账单名, 账单金额, 建立时间, 收费单位, 处理状态
LIST_COLUMNS = [
    Col("period", "期数"),
    Col("bill_no", "账单号", whole=True),
    Col("name", "账单名"),
    Col("amount", "账单金额", justify="right"),
    Col("created_at", "建立时间", fmt=_when),
    Col("charging_unit", "收费单位"),
    Col("state", "处理状态", fmt=_state),
]
SHOW_FIELDS = [
    Col("bill_no", "账单号", whole=True),
    Col("period", "期数"),
    Col("name", "账单名"),
    Col("school_code", "学校代码", whole=True),
    Col("school_name", "学校"),
    Col("payer", "缴款单位（学校公章名）"),
    Col("charging_unit", "收费单位"),
    Col("amount", "账单金额（元）"),
    Col("enrollments", "人次"),
    Col("state", "处理状态", fmt=_state),
    Col("created_at", "建立时间", fmt=_when),
    Col("updated_at", "更新时间", fmt=_when),
    Col("receipt_no", "票据号"),
    Col("paid_on", "缴费日期"),
]
ITEM_COLUMNS = [
    Col("course_code", "课程编号", whole=True),
    Col("course_name", "课程名称"),
    Col("training_level", "培训级别"),
    Col("enrollments", "人次", justify="right"),
    Col("price", "单价（元）", justify="right"),
    Col("amount", "金额（元）", justify="right"),
]
SUMMARY_COLUMNS = [
    Col("school_code", "学校代码", whole=True),
    Col("school_name", "学校"),
    Col("charging_unit", "收费单位"),
    Col("bills", "账单数", justify="right"),
    Col("enrollments", "人次", justify="right"),
    Col("billed", "应缴（元）", justify="right"),
    Col("paid", "已缴（元）", justify="right"),
    Col("outstanding", "未缴（元）", justify="right"),
]


@app.command("generate", epilog="示例: jjadmin bill generate --period 2601")
def bill_generate(ctx: typer.Context, period: PeriodOpt = "", as_json: JsonOpt = False) -> None:
    """生成账单：每所学校、每个收费单位一张（金额 = 未缴费选课的培训费用 + 教材费用）；
    再次生成只更新未缴费的账单，已缴费的账单不变。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services.billing import bills

    r = bills.generate_bills(service_context(ctx), period=period)
    if out.as_json:
        out.emit(r)
        return
    out.result(
        f"{r.period} 期账单：未缴费 {r.bills} 张，合计 {r.amount} 元"
        f"（新建 {r.created}，更新 {r.updated}，未变 {r.unchanged}，作废 {r.voided}；"
        f"已缴费 {r.paid} 张未改动）"
    )
    out.hint(f"查看：jjadmin bill list --period {r.period}")


@app.command("list", epilog="示例: jjadmin bill list --period 2601 --state unpaid")
def bill_list(
    ctx: typer.Context,
    period: OptionalPeriodOpt = None,
    school: SchoolOpt = None,
    unit: UnitOpt = None,
    state: Annotated[
        str | None, choice_option("--state", labels.BILL_STATE, help="处理状态")
    ] = None,
    limit: LimitOpt = 1000,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """账单管理：列出本单位可见的账单（学校只看本校，培训机构只看本单位收费的账单）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import bill_listing

    rows, total = bill_listing.list_bills(
        service_context(ctx),
        period=period,
        school=school,
        unit=unit,
        state=state,
        limit=limit,
        offset=offset,
    )
    out.table(
        rows, [Col("school_code", "学校代码", whole=True), *LIST_COLUMNS], total=total, title="账单"
    )


@app.command("show", epilog="示例: jjadmin bill show ZD2601-000001")
def bill_show(ctx: typer.Context, bill_no: BillArg, as_json: JsonOpt = False) -> None:
    """显示一张账单：金额、状态、按课程的明细与缴费记录。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services.billing import bills

    detail = bills.show_bill(service_context(ctx), bill_no)
    if out.as_json:
        from jjadmin.commands._output import to_jsonable

        doc = to_jsonable(detail.bill)
        doc["items"] = to_jsonable(detail.items)
        doc["payments"] = to_jsonable(detail.payments)
        out.emit(doc)
        return
    out.record(detail.bill, SHOW_FIELDS, title=f"账单 {detail.bill.bill_no}")
    out.table(detail.items, ITEM_COLUMNS, title="明细")


@app.command(
    "notice",
    epilog="示例: jjadmin bill notice ZD2601-000001 --out 缴款通知书.pdf",
)
def bill_notice(
    ctx: typer.Context,
    bill_no: BillArg,
    out_file: Annotated[Path, typer.Option("--out", help="输出的 PDF 文件")],
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """打印缴款通知书（PDF）：缴款单位为学校公章名，含收款单位、账单号、明细、大小写金额。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.exporters.billing import document_format, write_notice
    from jjadmin.exporters.files import claim_output
    from jjadmin.services.billing import notices

    document_format(out_file, ("pdf",))
    claim_output(out_file, overwrite=overwrite)
    notice = notices.bill_notice(service_context(ctx), bill_no)
    write_notice(out_file, notice)
    out.result(
        f"已生成缴款通知书 {out_file}：{notice.payer} 应缴 {notice.amount} 元"
        f"（{notice.amount_in_words}）",
        file=str(out_file),
        bill_no=notice.bill_no,
        payer=notice.payer,
        payee=notice.payee,
        amount=notice.amount,
        amount_in_words=notice.amount_in_words,
    )


@app.command(
    "pay",
    epilog="示例: jjadmin bill pay ZD2601-000001 --receipt 0012345 --amount 1200.00",
)
def bill_pay(
    ctx: typer.Context,
    bill_no: BillArg,
    receipt: Annotated[str, typer.Option("--receipt", help="票据号（每张票据只能用一次）")],
    amount: Annotated[
        str | None, typer.Option("--amount", help="缴费金额（元），须与账单金额一致")
    ] = None,
    paid_on: Annotated[str | None, typer.Option("--date", help="缴费日期（默认今天）")] = None,
    as_json: JsonOpt = False,
) -> None:
    """登记缴费（市级培训中心或收费单位）：账单及其选课记为已缴费。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services.billing import payments

    r = payments.pay_bill(
        service_context(ctx), bill_no=bill_no, receipt_no=receipt, amount=amount, paid_on=paid_on
    )
    out.result(
        f"账单 {r.bill_no} 已缴费 {r.amount} 元（票据号 {r.receipt_no}），"
        f"{r.enrollments} 条选课记为已缴费",
        bill_no=r.bill_no,
        receipt_no=r.receipt_no,
        amount=r.amount,
        paid_on=r.paid_on,
        enrollments=r.enrollments,
        state=r.state,
    )


def _reconciliation(out: Output, outcome: Any) -> None:
    extra = outcome.report.extra
    if out.as_json or "matched" not in extra:
        return
    out.info(
        f"对账：匹配 {extra['matched']}，金额不符 {extra['wrong_amount']}，"
        f"账单不存在 {extra['unknown_bill']}，已缴费 {extra['already_paid']}，"
        f"已作废 {extra['void_bill']}，票据号重复 {extra['receipt_used']}"
    )


@app.command(
    "import-payments",
    epilog="示例: jjadmin bill import-payments 缴费.xlsx --dry-run --errors-to 缴费错误.xlsx",
)
def bill_import_payments(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRunOpt = False,
    skip_invalid: SkipInvalidOpt = False,
    errors_to: ErrorsToOpt = None,
    overwrite: OverwriteOpt = False,
    sheet: SheetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """导入缴费表（账单号、金额、缴费日期、票据号）并对账：匹配、金额不符、账单不存在、已缴费。"""
    from jjadmin.importers.payment import PAYMENT_IMPORT

    run_import_command(
        ctx,
        PAYMENT_IMPORT,
        file,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        errors_to=errors_to,
        sheet=sheet,
        as_json=as_json,
        overwrite=overwrite,
        before_report=_reconciliation,
    )


@app.command("template", epilog="示例: jjadmin bill template 缴费模板.xlsx")
def bill_template(
    ctx: typer.Context, file: OutArg, overwrite: OverwriteOpt = False, as_json: JsonOpt = False
) -> None:
    """生成空白缴费导入模板（账单号、金额、缴费日期、票据号）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.exporters.files import claim_output
    from jjadmin.exporters.templates import write_template
    from jjadmin.importers.payment import PAYMENT_COLUMNS

    claim_output(file, overwrite=overwrite)
    write_template(
        file,
        template_columns(PAYMENT_COLUMNS, text={"bill_no", "receipt_no"}),
        title="缴费",
        notes=[
            "每行一张已缴费的账单：账单号如 ZD2601-000001，金额须与账单金额一致（元，两位小数）。",
            "缴费日期如 2026-04-01；票据号每张票据只能使用一次。",
            "导入命令：jjadmin bill import-payments 本文件.xlsx（先加 --dry-run 对账）。",
        ],
    )
    out.result(f"已生成模板 {file}", file=str(file))


@app.command(
    "admissions",
    epilog="示例: jjadmin bill admissions --period 2601 --out 选课录取.xlsx "
    "--unit 广州市广播电视大学",
)
def bill_admissions(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="输出文件（.xlsx 或 .csv）")],
    period: PeriodOpt = "",
    school: SchoolOpt = None,
    unit: UnitOpt = None,
    fmt: FormatOpt = None,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """选课录取查询：导出本单位学员的选课录取与缴费情况（固定列；需短信验证）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.exporters.files import claim_output
    from jjadmin.exporters.tabular import ExportColumn, write_table
    from jjadmin.services.billing import reports

    claim_output(out_file, overwrite=overwrite)
    rows = reports.admissions(service_context(ctx), period=period, school=school, unit=unit)
    text = {"period", "learner_no", "course_code"}
    money = {"fee", "material_fee", "amount"}
    columns = [
        ExportColumn(key, header, text=key in text, money=key in money)
        for key, header in reports.ADMISSION_COLUMNS
    ]
    n = write_table(
        out_file,
        columns,
        (_admission_cells(r, money) for r in rows),
        fmt=fmt,  # type: ignore[arg-type]
        sheet_name="选课录取查询",
    )
    out.result(f"已导出 {n} 条选课录取记录到 {out_file}", file=str(out_file), rows=n)


def _admission_cells(row: Any, money: set[str]) -> dict[str, Any]:
    from dataclasses import asdict
    from decimal import Decimal

    cells = asdict(row)
    for key in money:
        cells[key] = Decimal(cells[key])
    cells["hours"] = Decimal(cells["hours"])
    return cells


@app.command(
    "declaration",
    epilog="示例: jjadmin bill declaration --period 2601 --school 4401040001 --out 交费申报表.xlsx",
)
def bill_declaration(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="输出文件（.xlsx 或 .pdf）")],
    school: OwnSchoolOpt = "",
    period: PeriodOpt = "",
    unit: UnitOpt = None,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """学校交费申报表（xlsx 或 PDF）：按收费单位和课程的人次与金额、大写金额、缴费名单。

    含学员名单，需先短信验证。
    """
    out = output(ctx, as_json=as_json)
    from jjadmin.exporters.billing import document_format, write_declaration
    from jjadmin.exporters.files import claim_output
    from jjadmin.services.billing import reports

    document_format(out_file)
    claim_output(out_file, overwrite=overwrite)
    data = reports.declaration(service_context(ctx), period=period, school=school, unit=unit)
    write_declaration(out_file, data)
    out.result(
        f"已生成 {data.school_name} {data.period} 期学校交费申报表 {out_file}："
        f"合计 {data.total} 元，已缴 {data.paid} 元，应交 {data.outstanding} 元",
        file=str(out_file),
        school_code=data.school_code,
        period=data.period,
        total=data.total,
        paid=data.paid,
        outstanding=data.outstanding,
        outstanding_in_words=data.outstanding_in_words,
        enrollments=len(data.people),
    )


@app.command("summary", epilog="示例: jjadmin bill summary --period 2601 --json")
def bill_summary(
    ctx: typer.Context,
    period: PeriodOpt = "",
    school: SchoolOpt = None,
    unit: UnitOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """单位缴费查询：按学校和收费单位列出应缴、已缴、未缴金额。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services.billing import reports

    s = reports.payment_summary(service_context(ctx), period=period, school=school, unit=unit)
    out.table(
        s.items,
        SUMMARY_COLUMNS,
        title=f"{s.period} 期单位缴费情况",
        extra={
            "period": s.period,
            "billed": s.billed,
            "paid": s.paid,
            "outstanding": s.outstanding,
        },
    )
    if not out.as_json and s.items:
        out.info(f"合计：应缴 {s.billed} 元，已缴 {s.paid} 元，未缴 {s.outstanding} 元")
