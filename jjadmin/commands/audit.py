"""`jjadmin audit list`."""

from __future__ import annotations

from typing import Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._filters import action_filter
from jjadmin.commands._options import JsonOpt, LimitOpt
from jjadmin.commands._output import Col

app = typer.Typer(help="审计日志", no_args_is_help=True)


@app.command("list", epilog="示例：jjadmin audit list --action 选课 --since 2026-03-01")
def audit_list(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option("--since", help="起始时间（ISO 8601）")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="操作人用户名")] = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            help="操作：领域或 领域·动作，中文或代码，如 选课、enroll.self",
            callback=action_filter,
        ),
    ] = None,
    limit: LimitOpt = 100,
    as_json: JsonOpt = False,
) -> None:
    """查看审计日志（最新在前）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.clock import parse_now
    from jjadmin.errors import UsageError
    from jjadmin.services import history_views as audit

    try:
        since_dt = parse_now(since) if since else None
    except ValueError:
        raise UsageError(f"--since 不是 ISO 8601 时间：{since}") from None
    rows, total = audit.list_audit(
        service_context(ctx), since=since_dt, actor_name=actor, action=action, limit=limit
    )
    out.table(
        rows,
        [
            Col("id", "编号"),
            Col("at", "时间"),
            Col("actor", "操作人"),
            Col("action", "操作"),
            Col("target_type", "对象类型"),
            Col("target", "对象"),
            Col("batch_id", "批次"),
        ],
        total=total,
    )
