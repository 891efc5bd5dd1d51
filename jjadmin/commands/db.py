"""`jjadmin db`: init, upgrade, check, backup, recover-admin, roles sync."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._options import DryRunOpt, JsonOpt, OverwriteOpt, PasswordStdinOpt
from jjadmin.commands._prompt import ask_password, interactive, read_stdin_line

app = typer.Typer(help="数据库初始化、升级、检查与备份", no_args_is_help=True)
roles_app = typer.Typer(
    help="市级 PostgreSQL：每个管理员账号一个数据库登录角色", no_args_is_help=True
)
app.add_typer(roles_app, name="roles")


@app.command(
    "init",
    epilog="示例：jjadmin db init --admin admin --name 张主任 --mobile"
    " 13800000000 --password-stdin < 密码.txt",
)
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


@app.command(
    "upgrade", epilog="示例：jjadmin db upgrade（已启用数据库角色时同时同步角色与行级安全策略）"
)
def db_upgrade(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """把数据库结构升级到最新版本；市级 PostgreSQL 已启用数据库角色时，同时同步角色与策略。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import setup

    result = setup.upgrade_database(service_context(ctx))
    roles = result.roles
    synced = {} if roles is None else {"roles_synced": True, "policies": roles.policies}
    out.result(
        "数据库结构已是最新" + ("，数据库角色与行级安全策略已同步" if roles else ""),
        revision=result.revision,
        previous=result.previous,
        **synced,
    )


@app.command("check", epilog="示例：jjadmin db check --json")
def db_check(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """检查数据库完整性与迁移版本。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import setup

    result = setup.check_database(service_context(ctx))
    out.result(
        "数据库检查通过", revision=result.revision, head=result.head, integrity=result.integrity
    )


@app.command(
    "backup",
    epilog="示例：jjadmin db backup /backup/jj-$(date +%F).dump --overwrite"
    "（PostgreSQL：pg_dump 自定义格式，用 pg_restore 恢复）",
)
def db_backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="备份文件路径")],
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """备份数据库（SQLite 在线备份；PostgreSQL 调用 pg_dump，自定义格式）。

    先写入同一目录下的临时文件，完成后才替换目标文件：备份失败时旧的备份原样保留。
    """
    out = output(ctx, as_json=as_json)
    from jjadmin.exporters.files import claim_output
    from jjadmin.services import setup

    claim_output(file, overwrite=overwrite)
    size = setup.backup_database(service_context(ctx), file, overwrite=overwrite)
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


@roles_app.command(
    "sync",
    epilog="示例：jjadmin db roles sync --dry-run；"
    "JJADMIN_PG_ROLE_PREFIX=gz_ jjadmin --db postgresql://jjadmin_owner@db/gz db roles sync",
)
def db_roles_sync(ctx: typer.Context, dry_run: DryRunOpt = False, as_json: JsonOpt = False) -> None:
    """同步数据库登录角色与行级安全策略（市级管理员，用数据库所有者角色连接）。

    每个启用的管理员账号一个登录角色（前缀 + 用户名，前缀由 JJADMIN_PG_ROLE_PREFIX 设置，
    默认 jj_），停用或锁定的账号不能登录，已删除账号的角色被删除；每张存放单位数据的表按
    权限范围启用行级安全。教师没有数据库角色。SQLite 数据库无需同步。
    """
    out = output(ctx, as_json=as_json)
    from jjadmin.services.dbroles.sync import ROLE_ACTIONS, SKIP_REASONS, sync_roles

    report = sync_roles(service_context(ctx), dry_run=dry_run)
    if report.backend != "postgresql":
        out.result("SQLite 数据库只在本机使用，不需要数据库角色", backend=report.backend)
        return
    for r in report.skipped:
        reason = SKIP_REASONS.get(r.reason or "", r.reason or "")
        out.warn(f"账号 {r.username} 没有数据库角色：{reason}")
    counts = {
        action: report.count(action)
        for action in ("created", "renamed", "login", "nologin", "updated", "dropped")
    }
    done = "、".join(f"{ROLE_ACTIONS[a]} {n}" for a, n in counts.items() if n) or "角色无变化"
    verb = "将会" if dry_run else "已"
    out.result(
        f"{verb}同步数据库角色（前缀 {report.prefix}）：{done}；"
        f"{report.tables} 张表启用行级安全，策略新建 {report.policies_created}、"
        f"删除 {report.policies_dropped}，授权变更 {report.grants_changed}"
        + ("（试运行，未做任何修改）" if dry_run else ""),
        backend=report.backend,
        dry_run=report.dry_run,
        prefix=report.prefix,
        roles=[
            {
                "username": r.username,
                "role_name": r.role_name,
                "action": r.action,
                "reason": r.reason,
            }
            for r in report.roles
        ],
        tables=report.tables,
        policies=report.policies,
        policies_created=report.policies_created,
        policies_dropped=report.policies_dropped,
        grants_changed=report.grants_changed,
    )
