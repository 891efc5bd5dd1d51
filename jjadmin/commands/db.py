"""`jjadmin db`: init, upgrade, check, backup."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._options import JsonOpt, PasswordStdinOpt
from jjadmin.commands._prompt import ask_password, interactive, read_stdin_line

app = typer.Typer(help="数据库初始化、升级、检查与备份", no_args_is_help=True)


@app.command("init")
def db_init(
    ctx: typer.Context,
    admin: Annotated[str | None, typer.Option("--admin", help="首个市级管理员用户名")] = None,
    name: Annotated[str | None, typer.Option("--name", help="管理员姓名（实名）")] = None,
    mobile: Annotated[str | None, typer.Option("--mobile", help="管理员绑定手机")] = None,
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """创建或升级数据库结构（可重复运行）；首次运行时创建市级管理员账号。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import setup

    sc = service_context(ctx, create_db=True)
    password = None
    if admin:
        if password_stdin:
            password = read_stdin_line()
        elif interactive():
            password = ask_password(f"为 {admin} 设置密码")
    result = setup.init_database(sc, admin=admin, name=name, mobile=mobile, password=password)
    msg = "数据库已就绪" + (f"，已创建市级管理员 {result.admin}" if result.admin else "")
    out.result(msg, revision=result.revision, created_admin=result.admin, database=result.database)


@app.command("upgrade")
def db_upgrade(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """把数据库结构升级到最新版本。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import setup

    result = setup.upgrade_database(service_context(ctx))
    out.result("数据库结构已是最新", revision=result.revision, previous=result.previous)


@app.command("check")
def db_check(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """检查数据库完整性与迁移版本。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import setup

    result = setup.check_database(service_context(ctx))
    out.result(
        "数据库检查通过", revision=result.revision, head=result.head, integrity=result.integrity
    )


@app.command("backup")
def db_backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="备份文件路径")],
    as_json: JsonOpt = False,
) -> None:
    """备份数据库（SQLite 在线备份；PostgreSQL 调用 pg_dump）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import setup

    size = setup.backup_database(service_context(ctx), file)
    out.result(f"已备份到 {file}", file=str(file), bytes=size)


@app.command("recover-admin", epilog="示例：jjadmin db recover-admin admin --password-stdin")
def db_recover_admin(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="市级培训中心管理员用户名")],
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """最后一个市级管理员账号被锁定或忘记密码时：解锁并设置新密码。

    只能以数据库所有者的身份运行（SQLite 数据库文件的所有者；PostgreSQL 数据库的所有者角色），
    不需要登录，记入审计日志。
    """
    out = output(ctx, as_json=as_json)
    from jjadmin.services import passwords

    password = read_stdin_line() if password_stdin else ask_password(f"为 {username} 设置新密码")
    done = passwords.recover_admin(service_context(ctx), username, password)
    changes = "、".join(
        text for text, flag in (("已解锁", done.unlocked), ("已重新启用", done.enabled)) if flag
    )
    out.result(
        f"已为 {done.username} 设置新密码" + (f"（{changes}）" if changes else ""),
        username=done.username,
        unlocked=done.unlocked,
        enabled=done.enabled,
        owner=done.owner,
    )
