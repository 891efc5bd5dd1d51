"""`jjadmin complaint`: 投诉意见管理 (window, file, list, show, reply, close, stats); the
teacher's own under `jjadmin me complaint` (`me_app`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._options import JsonOpt, LimitOpt, OffsetOpt, OverwriteOpt, SchoolOpt
from jjadmin.commands._output import Col, Output
from jjadmin.commands.notice import when

if TYPE_CHECKING:
    from jjadmin.services.complaints import ComplaintView

app = typer.Typer(
    help="投诉意见管理（年度验证实名投诉：投诉时间、处理、统计）", no_args_is_help=True
)
me_app = typer.Typer(help="我的投诉（年度验证实名投诉）", no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(help="投诉编号")]
StateOpt = Annotated[str | None, typer.Option("--state", help="状态：待处理、已回复、已关闭")]
YearOpt = Annotated[int | None, typer.Option("--year", help="年度验证的年度")]
TitleOpt = Annotated[str, typer.Option("--title", help="投诉标题（最多 200 字）")]
BodyOpt = Annotated[str, typer.Option("--body", help="投诉内容")]

LIST_COLUMNS = [
    Col("id", "编号", justify="right"),
    Col("learner_no", "学号", whole=True),
    Col("name", "姓名"),
    Col("school_name", "学校"),
    Col("year", "年度"),
    Col("title", "标题"),
    Col("state", "状态"),
    Col("filed_at", "投诉时间", fmt=when),
    Col("replied_at", "首次回复时间", fmt=when),
]
SHOW_FIELDS = [
    Col("id", "编号"),
    Col("learner_no", "学号"),
    Col("name", "姓名"),
    Col("school_code", "学校代码"),
    Col("school_name", "学校"),
    Col("year", "年度"),
    Col("title", "标题"),
    Col("state", "状态"),
    Col("filed_at", "投诉时间", fmt=when),
    Col("replied_at", "首次回复时间", fmt=when),
    Col("closed_at", "关闭时间", fmt=when),
    Col("body", "投诉内容"),
]
REPLY_COLUMNS = [
    Col("replied_at", "回复时间", fmt=when),
    Col("replied_by", "回复人"),
    Col("text", "回复内容"),
]
STATS_COLUMNS = [
    Col("school_code", "学校代码", whole=True),
    Col("school_name", "学校名称"),
    Col("district_code", "区代码"),
    Col("filed", "投诉数", justify="right"),
    Col("replied", "已回复", justify="right"),
    Col("closed", "已关闭", justify="right"),
    Col("open", "待处理", justify="right"),
    Col("median_days_to_reply", "回复用时中位数（天）", justify="right"),
]


def render_complaint(out: Output, view: ComplaintView) -> None:
    out.record(view, SHOW_FIELDS, title="投诉")
    if not out.as_json and view.replies:
        out.table(view.replies, REPLY_COLUMNS, title="回复")


def _file(ctx: typer.Context, title: str, body: str, as_json: bool) -> None:
    from jjadmin.services import complaints

    out = output(ctx, as_json=as_json)
    new_id = complaints.file_complaint(service_context(ctx), title=title, body=body)
    if as_json:
        out.emit({"id": new_id})
    else:
        out.line(str(new_id))
        out.info(f"已提交投诉 #{new_id}，由所在区的区级管理员处理")


@app.command(
    "window",
    epilog="示例: jjadmin complaint window --year 2026 --from 2027-01-05 --to 2027-01-31；"
    "jjadmin complaint window --year 2026（查看）",
)
def complaint_window(
    ctx: typer.Context,
    year: Annotated[int, typer.Option("--year", help="年度验证的年度")],
    opens: Annotated[str | None, typer.Option("--from", help="开始日期（含）")] = None,
    closes: Annotated[str | None, typer.Option("--to", help="结束日期（含当天）")] = None,
    as_json: JsonOpt = False,
) -> None:
    """设置（市级）或查看某年度的投诉时间：教师只能在此期间提交年度验证投诉。"""
    from jjadmin.errors import UsageError
    from jjadmin.services import complaints

    out = output(ctx, as_json=as_json)
    sc = service_context(ctx)
    if opens is None and closes is None:
        w = complaints.show_window(sc, year=year)
    elif opens is None or closes is None:
        raise UsageError("--from 和 --to 须同时给出")
    else:
        w = complaints.set_window(sc, year=year, opens=opens, closes=closes)
    out.record(
        {"year": w.year, "from": w.opens_at, "to": w.closes_at},
        [Col("year", "年度"), Col("from", "开始"), Col("to", "结束")],
        title="投诉时间",
    )


@app.command("file", epilog="示例: jjadmin complaint file --title 年度学时未计入 --body 详情…")
def complaint_file(
    ctx: typer.Context, title: TitleOpt, body: BodyOpt, as_json: JsonOpt = False
) -> None:
    """教师实名投诉（年度验证相关问题，仅在投诉时间内），打印投诉编号。"""
    _file(ctx, title, body, as_json)


@app.command("list", epilog="示例: jjadmin complaint list --state 待处理 --school 4401040001")
def complaint_list(
    ctx: typer.Context,
    state: StateOpt = None,
    school: SchoolOpt = None,
    year: YearOpt = None,
    limit: LimitOpt = 1000,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """投诉列表：学校看本校教师的，区看本区学校的，市级看全部；最新的在前。"""
    from jjadmin.services import complaints

    out = output(ctx, as_json=as_json)
    items, total = complaints.list_complaints(
        service_context(ctx), state=state, school=school, year=year, limit=limit, offset=offset
    )
    out.table(items, LIST_COLUMNS, total=total, title="投诉意见")


@app.command("show", epilog="示例: jjadmin complaint show 3")
def complaint_show(ctx: typer.Context, complaint_id: IdArg, as_json: JsonOpt = False) -> None:
    """查看投诉及全部回复。"""
    from jjadmin.services import complaints

    out = output(ctx, as_json=as_json)
    render_complaint(out, complaints.show_complaint(service_context(ctx), complaint_id))


@app.command("reply", epilog="示例: jjadmin complaint reply 3 --text 已核实，学时已补录")
def complaint_reply(
    ctx: typer.Context,
    complaint_id: IdArg,
    reply: Annotated[str, typer.Option("--text", help="回复内容")],
    as_json: JsonOpt = False,
) -> None:
    """回复投诉（教师所在区的区级管理员，或市级）。"""
    from jjadmin.services import complaints

    out = output(ctx, as_json=as_json)
    state = complaints.reply_complaint(service_context(ctx), complaint_id, reply=reply)
    out.result(f"已回复投诉 #{complaint_id}", id=complaint_id, state=state)


@app.command("close", epilog="示例: jjadmin complaint close 3")
def complaint_close(ctx: typer.Context, complaint_id: IdArg, as_json: JsonOpt = False) -> None:
    """关闭投诉（教师所在区的区级管理员，或市级）。"""
    from jjadmin.services import complaints

    out = output(ctx, as_json=as_json)
    state = complaints.close_complaint(service_context(ctx), complaint_id)
    out.result(f"已关闭投诉 #{complaint_id}", id=complaint_id, state=state)


@app.command("stats", epilog="示例: jjadmin complaint stats --year 2026 --out 投诉统计.xlsx")
def complaint_stats(
    ctx: typer.Context,
    year: YearOpt = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="导出到 .xlsx 或 .csv")] = None,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """投诉统计（以学校为单位）：投诉数、已回复、已关闭、待处理、回复用时中位数。"""
    from jjadmin.exporters.files import claim_output
    from jjadmin.services import complaints

    out = output(ctx, as_json=as_json)
    if out_file is not None:
        claim_output(out_file, overwrite=overwrite)
    rows = complaints.complaint_stats(service_context(ctx), year=year)
    if out_file is not None:
        from jjadmin.exporters.tabular import ExportColumn, write_table

        columns = [
            ExportColumn(c.key, c.header, text=c.key in ("school_code", "district_code"))
            for c in STATS_COLUMNS
        ]
        write_table(out_file, columns, [vars(r) for r in rows], sheet_name="投诉统计")
        out.info(f"已导出 {len(rows)} 所学校的投诉统计：{out_file}")
    out.table(rows, STATS_COLUMNS, title="投诉统计")


# `jjadmin me complaint …`: the teacher's own


@me_app.command("file", epilog="示例: jjadmin me complaint file --title 年度学时未计入 --body …")
def me_complaint_file(
    ctx: typer.Context, title: TitleOpt, body: BodyOpt, as_json: JsonOpt = False
) -> None:
    """实名投诉（年度验证相关问题，仅在投诉时间内），打印投诉编号。"""
    _file(ctx, title, body, as_json)


@me_app.command("list", epilog="示例: jjadmin me complaint list")
def me_complaint_list(
    ctx: typer.Context, state: StateOpt = None, year: YearOpt = None, as_json: JsonOpt = False
) -> None:
    """我的投诉及处理状态。"""
    from jjadmin.services import complaints

    out = output(ctx, as_json=as_json)
    items, total = complaints.list_complaints(
        service_context(ctx), state=state, year=year, own=True
    )
    out.table(items, LIST_COLUMNS, total=total, title="我的投诉")


@me_app.command("show", epilog="示例: jjadmin me complaint show 3")
def me_complaint_show(ctx: typer.Context, complaint_id: IdArg, as_json: JsonOpt = False) -> None:
    """查看我的投诉及回复。"""
    from jjadmin.services import complaints

    out = output(ctx, as_json=as_json)
    render_complaint(out, complaints.show_complaint(service_context(ctx), complaint_id, own=True))
