"""`jjadmin transfer`: 教师调动 (request, import, list, show, approve, reject, cancel)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._filters import choice_option
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
    OwnSchoolToOpt,
    SheetOpt,
    SkipInvalidOpt,
)
from jjadmin.commands._output import Col
from jjadmin.exporters.files import claim_output
from jjadmin.rules import labels
from jjadmin.services.transfer_listing import LEVEL_NAMES

STATE_NAMES = labels.TRANSFER_STATE

app = typer.Typer(help="教师调动", no_args_is_help=True)


def _state(value: Any) -> str:
    return STATE_NAMES.get(str(value), str(value or ""))


def _level(value: Any) -> str:
    return LEVEL_NAMES.get(str(value), str(value or ""))


LIST_COLUMNS = [
    Col("id", "编号", justify="right"),
    Col("learner_no", "学号"),
    Col("name", "姓名"),
    Col("from_school_name", "调出学校"),
    Col("to_school_name", "调入学校"),
    Col("state", "状态", fmt=_state),
    Col("approver_level", "审批", fmt=_level),
    Col("requested_at", "申请时间"),
    Col("decided_at", "处理时间"),
    Col("reason", "驳回原因"),
]
SHOW_FIELDS = [
    Col("id", "编号"),
    Col("learner_no", "学号"),
    Col("name", "姓名"),
    Col("from_school_code", "调出学校代码"),
    Col("from_school_name", "调出学校"),
    Col("to_school_code", "调入学校代码"),
    Col("to_school_name", "调入学校"),
    Col("state", "状态", fmt=_state),
    Col("approver_level", "审批级别", fmt=_level),
    Col("approver_district", "审批区代码"),
    Col("requested_by", "申请人"),
    Col("requested_at", "申请时间"),
    Col("decided_by", "处理人"),
    Col("decided_at", "处理时间"),
    Col("reason", "驳回原因"),
    Col("note", "备注"),
]
IdArg = Annotated[int, typer.Argument(help="调动申请编号")]


@app.command("request", epilog="示例: jjadmin transfer request 44012600000001 --to 4401040001")
def transfer_request(
    ctx: typer.Context,
    learner_no: Annotated[str, typer.Argument(help="教师的继续教育学号")],
    to: OwnSchoolToOpt = "",
    note: Annotated[str | None, typer.Option("--note", help="备注")] = None,
    as_json: JsonOpt = False,
) -> None:
    """为调入本校的教师提出调动申请（打印申请编号）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import transfers

    view = transfers.request_transfer(
        service_context(ctx), learner_no=learner_no, to_school=to, note=note
    )
    if out.as_json:
        out.record({"id": view.id}, [])
        return
    out.line(str(view.id))
    out.info(
        f"已提交调动申请 #{view.id}：{view.name}（{view.learner_no}）"
        f"从 {view.from_school_name} 调入 {view.to_school_name}，"
        f"待{LEVEL_NAMES.get(view.approver_level, view.approver_level)}"
    )


@app.command("lookup", epilog="示例: jjadmin transfer lookup 44012600000001")
def transfer_lookup(
    ctx: typer.Context,
    learner_no: Annotated[str, typer.Argument(help="教师的继续教育学号")],
    as_json: JsonOpt = False,
) -> None:
    """按学号查找要调入的教师（只显示姓名和现所在学校，供确认）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import transfers

    found = transfers.find_teacher(service_context(ctx), learner_no)
    out.record(
        found,
        [Col("learner_no", "学号"), Col("name", "姓名"), Col("school_name", "现所在学校")],
        title="调动教师确认",
    )


@app.command("import", epilog="示例: jjadmin transfer import 调动.xlsx --dry-run")
def transfer_import(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRunOpt = False,
    skip_invalid: SkipInvalidOpt = False,
    errors_to: ErrorsToOpt = None,
    overwrite: OverwriteOpt = False,
    sheet: SheetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """从调动表批量提出调动申请（学号、调入学校代码、备注）。"""
    from jjadmin.importers.transfer import TRANSFER_IMPORT

    run_import_command(
        ctx,
        TRANSFER_IMPORT,
        file,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        errors_to=errors_to,
        sheet=sheet,
        as_json=as_json,
        overwrite=overwrite,
    )


@app.command("template", epilog="示例: jjadmin transfer template 调动模板.xlsx")
def transfer_template(
    ctx: typer.Context, file: OutArg, overwrite: OverwriteOpt = False, as_json: JsonOpt = False
) -> None:
    """生成空白调动申请导入模板。"""
    out = output(ctx, as_json=as_json)
    claim_output(file, overwrite=overwrite)  # never over an existing file unless asked
    from jjadmin.exporters.templates import write_template
    from jjadmin.importers.transfer import TRANSFER_COLUMNS

    write_template(
        file,
        template_columns(TRANSFER_COLUMNS, text={"learner_no", "to_school"}),
        title="调动",
        notes=[
            "每行一名调入的教师：学号为 14 位继续教育学号，调入学校代码为 10 位学校代码。",
            "调动申请由调入学校提出；区内调动由区级培训管理员审批，跨区调动由市级培训中心审批。",
            "特殊用户或有往期选课未缴费记录的教师不能申请调动。",
            "导入命令：jjadmin transfer import 本文件.xlsx（先加 --dry-run 校验）。",
        ],
    )
    out.result(f"已生成模板 {file}", file=str(file))


@app.command("list", epilog="示例: jjadmin transfer list --state pending --json")
def transfer_list(
    ctx: typer.Context,
    state: Annotated[
        str | None, choice_option("--state", labels.TRANSFER_STATE, help="状态")
    ] = None,
    limit: LimitOpt = 100,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """列出调入或调出管辖范围内学校的调动申请（最新在前）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import transfer_listing

    rows, total = transfer_listing.list_transfers(
        service_context(ctx),
        state=state,
        limit=limit,
        offset=offset,
    )
    out.table(rows, LIST_COLUMNS, total=total, title="教师调动")


@app.command("show", epilog="示例: jjadmin transfer show 12")
def transfer_show(ctx: typer.Context, transfer_id: IdArg, as_json: JsonOpt = False) -> None:
    """显示一条调动申请。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import transfers

    view = transfers.show_transfer(service_context(ctx), transfer_id)
    out.record(view, SHOW_FIELDS, title=f"调动申请 #{transfer_id}")


@app.command("approve", epilog="示例: jjadmin transfer approve 12")
def transfer_approve(ctx: typer.Context, transfer_id: IdArg, as_json: JsonOpt = False) -> None:
    """批准调动申请（区内：本区培训管理员；跨区：市级培训中心），教师随即调入。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import transfers

    view = transfers.approve_transfer(service_context(ctx), transfer_id)
    out.record(view, SHOW_FIELDS, title=f"已批准调动申请 #{transfer_id}")


@app.command("reject", epilog="示例: jjadmin transfer reject 12 --reason 材料不全")
def transfer_reject(
    ctx: typer.Context,
    transfer_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="驳回原因（必填）")],
    as_json: JsonOpt = False,
) -> None:
    """驳回调动申请（必须填写原因）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import transfers

    view = transfers.reject_transfer(service_context(ctx), transfer_id, reason=reason)
    out.record(view, SHOW_FIELDS, title=f"已驳回调动申请 #{transfer_id}")


@app.command("cancel", epilog="示例: jjadmin transfer cancel 12")
def transfer_cancel(ctx: typer.Context, transfer_id: IdArg, as_json: JsonOpt = False) -> None:
    """撤销待审批的调动申请（提出申请的调入学校或市级管理员）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import transfers

    view = transfers.cancel_transfer(service_context(ctx), transfer_id)
    out.record(view, SHOW_FIELDS, title=f"已撤销调动申请 #{transfer_id}")
