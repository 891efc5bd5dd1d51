"""`jjadmin notice`: 公告管理 (post with texts, list, show, resend)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._options import DryRunOpt, JsonOpt, LimitOpt, OffsetOpt
from jjadmin.commands._output import Col, Output

if TYPE_CHECKING:
    from jjadmin.services.notices import NoticeItem, NoticeView

app = typer.Typer(help="公告管理（发布、短信通知、查看）", no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(help="公告编号")]


def when(value: object) -> str:
    """A moment as the tables show it: 2026-08-25 09:00 (JSON keeps ISO 8601)."""
    return str(value)[:16].replace("T", " ") if value else ""


LIST_COLUMNS = [
    Col("id", "编号", justify="right"),
    Col("title", "标题"),
    Col("posted_by", "发布人"),
    Col("posted_at", "发布时间", fmt=when),
    Col("targets", "发布对象"),
    Col("read", "状态", fmt=lambda v: "已读" if v else "未读"),
]
SHOW_FIELDS = [
    Col("id", "编号"),
    Col("title", "标题"),
    Col("posted_by", "发布人"),
    Col("posted_at", "发布时间", fmt=when),
    Col("targets", "发布对象"),
]
SMS_STATES = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}


def render_list(out: Output, items: list[NoticeItem], total: int, *, title: str) -> None:
    out.table(items, LIST_COLUMNS, total=total, title=title)


def render_notice(out: Output, view: NoticeView) -> None:
    if out.as_json:
        out.record(view, [])
        return
    out.record(view, SHOW_FIELDS, title="公告")
    out.line("")
    out.line(view.body)
    if view.sms:
        parts = [f"{SMS_STATES.get(k, k)} {n}" for k, n in sorted(view.sms.items())]
        out.info("短信：" + "，".join(parts))


def _read_body(body: str | None, body_file: Path | None) -> str:
    from jjadmin.errors import InputRejected, UsageError

    if (body is None) == (body_file is None):
        raise UsageError("请给出 --body 或 --body-file 之一")
    if body is not None:
        return body
    assert body_file is not None
    try:
        raw = body_file.read_bytes()
    except OSError as exc:
        raise InputRejected(f"无法读取文件 {body_file}：{exc.strerror or exc}") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputRejected(f"文件 {body_file} 不是 UTF-8 或 GBK 文本")


@app.command(
    "post",
    epilog="示例: jjadmin notice post --title 2602期选课通知 --body-file 通知.txt --to all --sms；"
    "jjadmin notice post --title 缴费提醒 --body 请于月底前缴费 --to school:4401040001 --dry-run",
)
def notice_post(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title", help="公告标题（最多 200 字）")],
    body: Annotated[str | None, typer.Option("--body", help="公告内容（最多 20000 字）")] = None,
    body_file: Annotated[
        Path | None, typer.Option("--body-file", help="从文件读取公告内容（UTF-8 或 GBK）")
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            help="发布对象，可多次：all（全部单位，市级）、district:区代码、school:学校代码；"
            "默认市级为 all，区级为本区",
        ),
    ] = None,
    sms: Annotated[
        bool, typer.Option("--sms", help="同时短信通知发布对象中的每位学校继续教育管理员")
    ] = False,
    dry_run: DryRunOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """发布公告（市级：全部单位、各区或学校；区级：本区及本区学校），打印公告编号；
    --sms 同时短信通知学校管理员，--dry-run 只列出接收人。"""
    from jjadmin.services import notices

    out = output(ctx, as_json=as_json)
    text = _read_body(body, body_file)
    r = notices.post_notice(
        service_context(ctx), title=title, body=text, to=to, sms=sms, dry_run=dry_run
    )
    if r.dry_run:
        if as_json:
            out.emit(
                {
                    "id": None,
                    "recipients": r.recipients,
                    "sms": r.sms,
                    "dry_run": True,
                    "targets": r.targets,
                    "items": r.items,
                }
            )
            return
        out.table(
            r.items,
            [
                Col("username", "用户名"),
                Col("name", "姓名"),
                Col("role", "角色"),
                Col("unit", "单位"),
                Col("mobile", "绑定手机"),
                Col("sms", "短信", fmt=lambda v: "✓" if v else ""),
            ],
            title=f"接收人（{'、'.join(r.targets)}）",
        )
        out.info(f"未发布：共 {r.recipients} 个接收账号，将发送短信 {r.sms} 条")
        return
    if as_json:
        out.emit(
            {
                "id": r.id,
                "recipients": r.recipients,
                "sms": r.sms,
                "sms_failed": r.sms_failed,
                "already_posted": r.already_posted,
            }
        )
    else:
        out.line(str(r.id))
        verb = "该公告今天已发布过，未重复发布" if r.already_posted else "已发布公告"
        line = f"{verb} #{r.id}（{'、'.join(r.targets)}），接收账号 {r.recipients} 个"
        if sms:
            line += f"，短信已发送 {r.sms} 条"
        out.info(line)
    if r.sms_failed:
        out.warn(
            f"{r.sms_failed} 条短信未发出（短信通道故障）；稍后执行 jjadmin notice resend {r.id}"
        )
        raise typer.Exit(1)


@app.command("resend", epilog="示例: jjadmin notice resend 12")
def notice_resend(ctx: typer.Context, notice_id: IdArg, as_json: JsonOpt = False) -> None:
    """重发公告中未发出的短信（已发出的不会重发）。"""
    from jjadmin.services import notices

    out = output(ctx, as_json=as_json)
    r = notices.resend_notice(service_context(ctx), notice_id)
    if as_json:
        out.emit({"id": r.id, "sms": r.sms, "sms_failed": r.sms_failed})
    else:
        out.info(f"公告 #{r.id}：重发短信 {r.sms} 条，失败 {r.sms_failed} 条")
    if r.sms_failed:
        raise typer.Exit(1)


@app.command("list", epilog="示例: jjadmin notice list --unread")
def notice_list(
    ctx: typer.Context,
    unread: Annotated[bool, typer.Option("--unread", help="只看未读的公告")] = False,
    limit: LimitOpt = 1000,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """公告列表：发给本单位的公告（市级：全部），最新的在前。"""
    from jjadmin.services import notices

    out = output(ctx, as_json=as_json)
    items, total = notices.list_notices(
        service_context(ctx), unread=unread, limit=limit, offset=offset
    )
    render_list(out, items, total, title="公告列表")


@app.command("show", epilog="示例: jjadmin notice show 12")
def notice_show(ctx: typer.Context, notice_id: IdArg, as_json: JsonOpt = False) -> None:
    """查看公告（同时标记为已读）。"""
    from jjadmin.services import notices

    out = output(ctx, as_json=as_json)
    render_notice(out, notices.show_notice(service_context(ctx), notice_id))
