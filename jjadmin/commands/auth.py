"""`jjadmin login | logout | whoami`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from jjadmin.commands._context import meta, output, service_context
from jjadmin.commands._options import JsonOpt, PasswordStdinOpt
from jjadmin.commands._output import Col
from jjadmin.commands._prompt import ask_password, ask_text, read_stdin_line


def _write_session(path: Path, token: str, username: str, db_url: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"token": token, "username": username, "database": db_url}, fh)
    os.chmod(path, 0o600)


def login(
    ctx: typer.Context,
    username: Annotated[str | None, typer.Argument(help="用户名（教师为学号）")] = None,
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """登录并保存会话（8 小时有效）。连续 10 次密码错误将锁定账号。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import auth

    user = username or ask_text("用户名", option="USERNAME 参数")
    password = read_stdin_line() if password_stdin else ask_password("密码")
    sc = service_context(ctx)
    result = auth.login(sc, user, password)
    settings = meta(ctx)["jjadmin.settings"]
    _write_session(
        settings.effective_session_file,
        result.token,
        result.username,
        sc.engine.url.render_as_string(hide_password=True),
    )
    out.result(
        f"已登录：{result.name}（{result.username}）",
        username=result.username,
        role=result.role,
        expires_at=result.expires_at,
        must_change_password=result.must_change_password,
    )
    if result.must_change_password:
        from jjadmin.services.identity import password_change_hint

        out.warn("这是初始密码或已被重置的密码，修改之前不能进行其他操作")
        out.hint(password_change_hint(result.role))


def logout(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """退出登录（删除本机会话）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import auth

    settings = meta(ctx)["jjadmin.settings"]
    path: Path = settings.effective_session_file
    if path.exists():
        try:
            auth.logout(service_context(ctx))
        finally:
            path.unlink(missing_ok=True)
    out.result("已退出登录")


def whoami(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """显示当前账号、角色与管辖范围。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import identity

    who = identity.whoami(service_context(ctx))
    out.record(
        who,
        [
            Col("username", "用户名"),
            Col("name", "姓名"),
            Col("role_name", "角色"),
            Col("district_code", "区代码"),
            Col("school_code", "学校代码"),
            Col("institution", "培训机构"),
            Col("is_principal", "校长授权"),
            Col("is_school_admin", "学校管理员授权"),
            Col("verified_until", "短信验证有效至"),
            Col("must_change_password", "须修改密码"),
        ],
    )


def register(app: typer.Typer) -> None:
    app.command("login", epilog="示例：jjadmin login school01；教师：jjadmin login 44012600000001")(
        login
    )
    app.command("logout", epilog="示例：jjadmin logout")(logout)
    app.command("whoami", epilog="示例：jjadmin whoami --json")(whoami)
