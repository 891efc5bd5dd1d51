"""`jjadmin verify send | check CODE`."""

from __future__ import annotations

from typing import Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._options import JsonOpt

app = typer.Typer(help="短信验证（导出或查看敏感数据前，30 分钟有效）", no_args_is_help=True)


@app.command("send", epilog="示例：jjadmin verify send")
def verify_send(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """向绑定手机发送 6 位验证码（10 分钟内有效）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import verification

    sent = verification.send_code(service_context(ctx))
    out.result(
        f"验证码已发送到 {sent.mobile_masked}",
        mobile=sent.mobile_masked,
        expires_at=sent.expires_at,
    )


@app.command("check", epilog="示例：jjadmin verify check 123456")
def verify_check(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="短信验证码")],
    as_json: JsonOpt = False,
) -> None:
    """校验验证码；通过后本会话 30 分钟内可导出敏感数据。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import verification

    until = verification.check_code(service_context(ctx), code)
    out.result("验证码正确，短信验证已通过", verified_until=until)
