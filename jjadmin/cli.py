"""Composition root: the root Typer app, global options, error mapping, ServiceContext."""

from __future__ import annotations

import json
import os
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core

from jjadmin.errors import JjadminError, UsageError, ValidationFailed

COMMANDS = [
    ("db", "db", "数据库初始化、升级、检查与备份"),
    ("account", "account", "管理员账号"),
    ("verify", "verify", "短信验证（导出敏感数据前）"),
    ("school", "school", "学校管理"),
    ("teacher", "teacher", "教师管理"),
    ("transfer", "transfer", "教师调动"),
    ("period", "period", "期数管理"),
    ("course", "course", "课程管理"),
    ("enroll", "enroll", "选课管理"),
    ("me", "me", "学员个人平台"),
    ("audit", "audit", "审计日志"),
    ("batch", "batch", "导入批次"),
]


class RootGroup(typer.core.TyperGroup):
    """Maps JjadminError to exit codes and messages; internal errors go to a log file."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except JjadminError as exc:
            _render_error(ctx, exc)
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            if type(exc).__module__.startswith(("typer", "click")):
                raise
            settings = ctx.meta.get("jjadmin.settings")
            if ctx.meta.get("jjadmin.debug"):
                raise
            path = _write_log(settings, exc)
            out = ctx.meta.get("jjadmin.output")
            message = f"内部错误：{type(exc).__name__}；详细信息已写入 {path}"
            if out is not None:
                out.fail("internal", message, "可加 --debug 查看完整堆栈", {})
            else:
                sys.stderr.write(f"错误：{message}\n")
            raise typer.Exit(10) from None


def _render_error(ctx: Any, exc: JjadminError) -> None:
    out = ctx.meta.get("jjadmin.output")
    if out is None:
        from jjadmin.commands._output import Output

        out = Output(as_json="--json" in sys.argv[1:] or "--json" in (ctx.args or []))
    if isinstance(exc, ValidationFailed):
        if out.as_json:
            out.emit(exc.report.to_json())
        else:
            out.report(exc.report)
        out.err.print(f"[red]错误：[/red]{exc.message}")
        if exc.hint:
            out.err.print(f"[yellow]提示：[/yellow]{exc.hint}")
        return
    out.fail(exc.code, exc.message, exc.hint, exc.data)


def _write_log(settings: Any, exc: BaseException) -> Path:
    from jjadmin.config import data_dir

    log_dir = settings.effective_log_dir if settings is not None else data_dir() / "logs"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / f"error-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    except OSError:
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"jjadmin-error-{os.getpid()}.log"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    return path


app = typer.Typer(
    cls=RootGroup,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=False,
    help="继教管理：中小学教师继续教育管理工具（学校、教师、调动、期数、课程、选课、缴费、学时…）",
    rich_markup_mode=None,
)


def _factory(ctx: typer.Context) -> Any:
    """Build the ServiceContext lazily so `--help` never opens a database."""
    cache: dict[str, Any] = {}

    def build(*, create_db: bool = False) -> Any:
        if "sc" in cache:
            return cache["sc"]
        from jjadmin.clock import now
        from jjadmin.db import make_engine
        from jjadmin.services.context import ServiceContext
        from jjadmin.services.sms import make_sender

        settings = ctx.meta["jjadmin.settings"]
        engine = make_engine(settings.effective_database_url, create=create_db)
        token, source = _credentials(settings)
        sc = ServiceContext(
            engine=engine,
            now=now(settings.now),
            settings=settings,
            sms=make_sender(settings.sms),
            credentials=token,
            credentials_source=source,
        )
        cache["sc"] = sc
        ctx.call_on_close(engine.dispose)
        return sc

    return build


def _credentials(settings: Any) -> tuple[str | None, str | None]:
    if settings.token:
        return settings.token, "env"
    path = settings.effective_session_file
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    token = data.get("token") if isinstance(data, dict) else None
    return (token, "session") if isinstance(token, str) else (None, None)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None, typer.Option("--db", help="数据库地址（SQLAlchemy URL）", envvar=None)
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示完整堆栈")] = False,
) -> None:
    """继教管理命令行。数据库：--db 或 JJADMIN_DATABASE_URL，默认用户数据目录下的 jjadmin.db。"""
    from pydantic import ValidationError

    from jjadmin.config import get_settings

    try:
        settings = get_settings(database_url=db, debug=debug or None)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UsageError(
            f"配置不正确：JJADMIN_{str(first['loc'][0]).upper()}：{first['msg']}"
        ) from None
    if settings.now:
        from jjadmin.clock import parse_now

        try:
            parse_now(settings.now)
        except ValueError:
            raise UsageError(f"JJADMIN_NOW 不是 ISO 8601 时间：{settings.now}") from None
    ctx.meta["jjadmin.settings"] = settings
    ctx.meta["jjadmin.debug"] = settings.debug
    ctx.meta["jjadmin.factory"] = _factory(ctx)


def _register() -> None:
    import importlib

    for module, name, help_text in COMMANDS:
        mod = importlib.import_module(f"jjadmin.commands.{module}")
        app.add_typer(mod.app, name=name, help=help_text)
    from jjadmin.commands import auth

    auth.register(app)


_register()


def main() -> None:
    app()
