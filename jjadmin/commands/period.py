"""`jjadmin period`: 期数管理 (create, list, show, close)."""

from __future__ import annotations

from typing import Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._options import DistrictOpt, DryRunOpt, JsonOpt, LimitOpt, OffsetOpt
from jjadmin.commands._output import Col

app = typer.Typer(help="期数管理", no_args_is_help=True)


def _when(value: object) -> str:
    """'2026-03-31T23:59:59+08:00' → '2026-03-31 23:59' (rows arrive JSON-ready)."""
    if not value:
        return ""
    text = str(value)
    return text[:16].replace("T", " ")


CodeArg = Annotated[str, typer.Argument(help="期数 YYNN，如 2601（2026年上半年）")]

LIST_COLUMNS = [
    Col("period", "期数"),
    Col("select_from", "选课开始", fmt=_when),
    Col("select_to", "选课结束", fmt=_when),
    Col("pay_by", "缴费截止", fmt=_when),
    Col("state_label", "状态"),
    Col("courses", "课程数", justify="right"),
    Col("enrollments", "选课人次", justify="right"),
]
SHOW_FIELDS = [
    Col("period", "期数"),
    Col("select_from", "选课开始时间", fmt=_when),
    Col("select_to", "选课结束时间", fmt=_when),
    Col("pay_by", "缴费截止时间", fmt=_when),
    Col("state_label", "状态"),
    Col("courses", "课程数"),
    Col("enrollments", "选课人次"),
    Col("last_closed_at", "最近结算时间", fmt=_when),
]


@app.command(
    "create",
    epilog="示例: jjadmin period create 2601 --select-from 2026-03-01 "
    "--select-to 2026-03-31 --pay-by 2026-04-15",
)
def period_create(
    ctx: typer.Context,
    code: CodeArg,
    select_from: Annotated[
        str, typer.Option("--select-from", help="选课开始（日期或 ISO 时间；日期取当天 0 点）")
    ],
    select_to: Annotated[str, typer.Option("--select-to", help="选课结束（日期取当天 23:59:59）")],
    pay_by: Annotated[str, typer.Option("--pay-by", help="缴费截止（日期取当天 23:59:59）")],
    as_json: JsonOpt = False,
) -> None:
    """创建期数（市级培训中心）：选课时间段与缴费截止时间。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import periods

    view = periods.create_period(
        service_context(ctx), code=code, select_from=select_from, select_to=select_to, pay_by=pay_by
    )
    out.record(view, SHOW_FIELDS, title=f"已创建期数 {view.period}")


@app.command("list", epilog="示例：jjadmin period list")
def period_list(
    ctx: typer.Context, limit: LimitOpt = 1000, offset: OffsetOpt = 0, as_json: JsonOpt = False
) -> None:
    """列出期数及其当前状态（未开始选课 / 选课中 / 选课已结束 / 缴费已截止）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import period_views as periods

    rows, total = periods.list_periods(service_context(ctx), limit=limit, offset=offset)
    out.table(rows, LIST_COLUMNS, total=total, title="期数")


@app.command("show", epilog="示例: jjadmin period show 2601 --json")
def period_show(ctx: typer.Context, code: CodeArg, as_json: JsonOpt = False) -> None:
    """显示一个期数：时间安排、当前状态、课程数与选课人次。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import period_views as periods

    view = periods.show_period(service_context(ctx), code=code)
    out.record(view, SHOW_FIELDS, title=f"{view.period} 期")


@app.command(
    "close",
    epilog="示例: jjadmin period close 2601 --json（cron：每天 02:00 运行，见 README）；"
    "jjadmin period close 2601 --level 区级培训 --dry-run",
)
def period_close(
    ctx: typer.Context,
    code: CodeArg,
    dry_run: DryRunOpt = False,
    level: Annotated[
        str, typer.Option("--level", help="培训级别：全员培训（市级，默认）或 区级培训")
    ] = "全员培训",
    district: DistrictOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """期数结算：缴费截止后，把选课既未缴费也未删除的教师设为特殊用户（可重复运行）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services.billing import close

    r = close.close_period(
        service_context(ctx), period=code, dry_run=dry_run, level=level, district=district
    )
    if out.as_json:
        out.emit(r)
        return
    verb = "将" if r.dry_run else "已"
    out.result(
        f"{r.period} 期{r.level}结算{'（试运行，未写入）' if r.dry_run else ''}："
        f"{verb}新增特殊用户 {r.flagged} 名（{r.enrollments} 条未缴费选课），"
        f"已是特殊用户 {r.already_flagged} 名"
    )
