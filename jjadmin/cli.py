"""Composition root: the root Typer app, global options, error mapping, ServiceContext."""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import typer.core

from jjadmin.commands import _help
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
    ("special_training", "special-training", "专项培训（报名与审核）"),
    ("me", "me", "学员个人平台"),
    ("bill", "bill", "缴费管理（账单、缴款通知书、缴费、对账）"),
    ("special_user", "special-user", "特殊用户"),
    ("ability", "ability", "能力提升工程（试点、诊断测评、课程推荐、确认选课）"),
    ("notice", "notice", "公告管理"),
    ("complaint", "complaint", "投诉意见管理"),
    ("audit", "audit", "审计日志"),
    ("batch", "batch", "导入批次"),
    ("grade", "grade", "成绩管理（成绩登记、成绩查询、课程通过率）"),
    ("credits", "credits", "学时管理（学时申报与审核、学时台账、年度验证、周期验证、学习证明）"),
]


class RootGroup(typer.core.TyperGroup):
    """Maps JjadminError to exit codes and messages; internal errors go to a log file."""

    # Sub-apps load on first use so that `jjadmin teacher list` imports only what it needs.
    def list_commands(self, ctx: Any) -> list[str]:
        names = list(super().list_commands(ctx))
        return names + [name for _, name, _ in COMMANDS if name not in names]

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # Remember which sub-command was asked for: its group is then built with that command
        # alone (typer inspects every command's signature when it builds a group).
        ctx.meta["jjadmin.wanted"] = args[1] if len(args) > 1 else None
        return super().resolve_command(ctx, args)

    def get_params(self, ctx: Any) -> Any:
        _help.translate_params(self)
        return super().get_params(ctx)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # the root's help names every area without importing one (issue 13: --help ≤ 0.25 s)
        _help.lazy_commands(self, ctx, formatter, [(n, h) for _, n, h in COMMANDS])

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return _help.prepare(found, cmd_name)
        for module, name, help_text in COMMANDS:
            if name == cmd_name:
                import importlib

                mod = importlib.import_module(f"jjadmin.commands.{module}")
                wanted = ctx.meta.pop("jjadmin.wanted", None) if ctx is not None else None
                partial = _only(mod.app, wanted)
                group = typer.main.get_group(partial or mod.app)
                group.name = name
                group.help = help_text
                group.short_help = help_text
                _help.prepare(group, name)
                if partial is None:  # a partial group is never cached
                    self.add_command(group, name)
                return group
        return None

    def invoke(self, ctx: Any) -> Any:
        # The raw arguments tell the handler whether --json was asked for even when the error
        # happens before the command registered its Output (e.g. in the root callback).
        ctx.meta["jjadmin.args"] = [*getattr(ctx, "_protected_args", []), *(ctx.args or [])]
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # the reader of stdout went away (`jjadmin … | head`): nobody left to tell
            _silence_stdout()
            raise typer.Exit(120) from None
        except JjadminError as exc:
            _render_error(ctx, exc)
            raise typer.Exit(exc.exit_code) from None
        except _help._click.exceptions.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                raise
            # Click's own usage errors, in Chinese (and as JSON with --json)
            _help.render_usage_error(exc, as_json="--json" in ctx.meta.get("jjadmin.args", ()))
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            if type(exc).__module__.startswith(("typer", "click")):
                raise
            if ctx.meta.get("jjadmin.debug"):
                raise
            mapped = _database_error(ctx, exc)
            if mapped is not None:
                _render_error(ctx, mapped)
                raise typer.Exit(mapped.exit_code) from None
            _render_internal(ctx, exc)
            raise typer.Exit(10) from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing what is still buffered cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (captured output)
        pass
    finally:
        os.close(devnull)


def _only(app: typer.Typer, wanted: str | None) -> typer.Typer | None:
    """A copy of `app` holding only the command or sub-group `wanted`, or None when `wanted`
    is not one of its names (options, --help, typos: those need the whole group)."""
    if not wanted:
        return None
    commands = [
        info
        for info in app.registered_commands
        if (info.name or typer.main.get_command_name(getattr(info.callback, "__name__", "")))
        == wanted
    ]
    groups = [info for info in app.registered_groups if info.name == wanted]
    if not commands and not groups:
        return None
    import copy

    partial = copy.copy(app)
    partial.registered_commands = commands
    partial.registered_groups = groups
    return partial


def _database_error(ctx: Any, exc: Exception) -> JjadminError | None:
    """A driver error that escaped a service (unreachable, read-only, uninitialised…)."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return None
    from jjadmin.db import db_error

    sc = ctx.meta.get("jjadmin.service_context")
    if sc is None:
        return None
    return db_error(sc.engine, exc)


def _output_for(ctx: Any) -> Any:
    """The Output the command registered, or one built from the raw arguments."""
    out = ctx.meta.get("jjadmin.output")
    if out is None:
        from jjadmin.commands._output import Output

        out = Output(as_json="--json" in ctx.meta.get("jjadmin.args", ()))
    return out


def _render_internal(ctx: Any, exc: Exception) -> None:
    """One line naming the log file that holds the traceback (exit 10)."""
    path = _write_log(ctx.meta.get("jjadmin.settings"), exc)
    where = f"详细信息见日志文件 {path}" if path is not None else "无法写入日志文件"
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        first = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        message = f"数据库错误：{first}；{where}"
    else:
        message = f"内部错误（{type(exc).__name__}），{where}（加 --debug 显示完整堆栈）"
    data = {"log": str(path)} if path is not None else {}
    _output_for(ctx).fail("internal", message, None, data)


def _render_error(ctx: Any, exc: JjadminError) -> None:
    from jjadmin.commands._output import escape

    out = _output_for(ctx)
    if isinstance(exc, ValidationFailed):
        if out.as_json:
            out.emit(exc.report.to_json())
        else:
            out.report(exc.report)
        out.err.print(f"[red]错误：[/red]{escape(exc.message)}")
        if exc.hint:
            out.err.print(f"[yellow]提示：[/yellow]{escape(exc.hint)}")
        return
    out.fail(exc.code, exc.message, exc.hint, exc.data)


def _write_log(settings: Any, exc: BaseException) -> Path | None:
    """Write the traceback to a new file in the log directory (or the temp dir)."""
    import tempfile

    from jjadmin.clock import wall
    from jjadmin.config import data_dir

    text = "".join(traceback.format_exception(exc))
    prefix = f"error-{wall():%Y%m%d-%H%M%S}-"
    log_dir = settings.effective_log_dir if settings is not None else data_dir() / "logs"
    for folder in (log_dir, Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=prefix, suffix=".log", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            return Path(name)
        except OSError:
            continue
    return None


app = typer.Typer(
    cls=RootGroup,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=True,
    context_settings={"help_option_names": _help.HELP_OPTIONS},
    epilog="示例：jjadmin login admin；jjadmin teacher list -h；jjadmin --version",
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
        from jjadmin.services.context import ServiceContext
        from jjadmin.services.sms import make_sender

        settings = ctx.meta["jjadmin.settings"]
        token, source = _credentials(settings)
        common: dict[str, Any] = {
            "now": now(settings.now),
            "settings": settings,
            "sms": make_sender(settings.sms),
            "credentials": token,
            "credentials_source": source,
        }
        url = settings.effective_database_url
        if create_db:
            from jjadmin.db import make_engine, probe

            engine = make_engine(url, create=True)
            ctx.call_on_close(engine.dispose)
            probe(engine, require_schema=False)
            sc = ServiceContext(engine=engine, **common)
        else:
            # The engine (and SQLAlchemy) load only when a command needs them.
            sc = ServiceContext(database_url=url, **common)
            ctx.call_on_close(sc.close)
            sc.check_schema()
        cache["sc"] = sc
        ctx.meta["jjadmin.service_context"] = sc
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


def _print_version(value: bool) -> None:
    if value:
        from jjadmin import __version__

        sys.stdout.write(f"jjadmin {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None, typer.Option("--db", help="数据库地址（SQLAlchemy URL）", envvar=None)
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示完整堆栈")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", help="显示版本并退出", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    """继教管理命令行。数据库：--db 或 JJADMIN_DATABASE_URL，默认用户数据目录下的 jjadmin.db。"""
    from jjadmin.config import SettingsError, get_settings

    # Every file jjadmin creates (the database and its -wal/-shm, backups, exports, error
    # workbooks, PDFs, logs) may hold personal data: owner-only, whatever the user's umask.
    os.umask(0o077)

    try:
        settings = get_settings(database_url=db, debug=debug or None)
    except SettingsError as exc:
        raise UsageError(
            f"环境变量 {exc.name} 的值不正确：{exc.value!s}",
            hint=f"检查 {exc.name} 的设置（{exc.reason}）",
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
    from jjadmin.commands import auth

    _help.install()
    auth.register(app)


_register()


def main() -> None:
    """The `jjadmin` console script: run one command, then leave without the interpreter's
    teardown.

    Every resource is released by the command itself (the context closes the database
    connections and the engine's pool; files are closed), so unloading the modules one by
    one (SQLAlchemy, SQLModel, pydantic: about 0.15 s on a 2-core machine) buys nothing.
    The exit handlers still run (log files flushed, temporary files removed) and both
    streams are flushed before `os._exit`.
    """
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    _leave(code)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")  # as the interpreter prints a SystemExit("message")
    return 1


def _leave(code: int) -> NoReturn:
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`jjadmin … | head`): nothing to say
            code = code or 120  # what the interpreter returns when its flush fails
    os._exit(code)
