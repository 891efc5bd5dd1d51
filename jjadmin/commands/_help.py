"""One Chinese help format from the root down, and Chinese usage errors (issue 13).

Applied by the root app (`cli.RootGroup`) to every command it loads, so a new command group
gets it with no work of its own:
- help pages in Click's plain format (the same at the root and in every group), its English
  chrome translated (用法, 选项, 命令, 必填, 显示本帮助并退出…), `-h` beside `--help`;
- usage errors (缺少选项, 取值无效, 没有该选项…) in Chinese on stderr, plus one JSON document
  on stdout when the command line has `--json`;
- `--columns` added to every list-like command (named `list`, or with `--limit`);
- the root's command list read from `cli.COMMANDS` without importing any sub-app (fast --help).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

import typer
import typer.core
from typer import _click  # typer's vendored Click (typer >= 0.26 ships no separate click)

HELP_OPTIONS = ["-h", "--help"]
COLUMNS_HELP = "只显示这些列，逗号分隔（列名或 JSON 键），如 学号,姓名"

# English chrome → Chinese, applied to whole help pages and to usage-error messages.
_PHRASES: list[tuple[str, str]] = [
    (r"^Usage: ", "用法："),
    (r"^Options:$", "选项："),
    (r"^Arguments:$", "参数："),
    (r"^Commands:$", "命令："),
    (r"Show this message and exit\.", "显示本帮助并退出"),
    (r"Install completion for the current shell\.", "为当前 shell 安装命令补全"),
    (
        r"Show completion for the current shell, to copy it or customize the installation\.",
        "显示当前 shell 的补全脚本（可复制或自定义安装）",
    ),
    (r"\[required\]", "[必填]"),
    (r"\(required\)", "（必填）"),
    (r"\[default: ([^\]]*)\]", r"[默认：\1]"),
    (r"\[env var: ([^\]]*)\]", r"[环境变量：\1]"),
    (r"(-?\d+)<=x<=(-?\d+)", r"\1–\2"),
    (r"\bx>=(-?\d+)", r"≥\1"),
    (r"\bx<=(-?\d+)", r"≤\1"),
    (r"^(\s*)示例: ", r"\1示例："),
    (r"^([\u4e00-\u9fff]+):$", r"\1："),
    (r" <bool>", ""),
    (r"<int range>|<integer range>", "<整数>"),
    (r"<int>|<integer>", "<整数>"),
    (r"<float>", "<数>"),
    (r"<str>|<text>", "<文本>"),
    (r"<path>|<file>|\{file\}", "<文件>"),
    (r"<choice>", "<选项>"),
    (r"\[OPTIONS\]", "[选项]"),
    (r"COMMAND \[ARGS\]\.\.\.", "命令 [参数]..."),
    (r"\bARGS\b", "参数"),
]
_COMPILED = [(re.compile(p, re.MULTILINE), r) for p, r in _PHRASES]

_ERRORS: list[tuple[str, str]] = [
    (r"^Missing option '([^']*)'(?: / '([^']*)')*\.?", r"缺少选项 \1"),
    (r"^Missing argument '([^']*)'\.?", r"缺少参数 \1"),
    (r"^Missing parameter: (\S+)", r"缺少参数 \1"),
    (r"^Missing command\.?", "缺少子命令"),
    (r"^No such option: (\S+?) \(Possible options: (.*)\)$", r"没有该选项：\1（可选：\2）"),
    (r"^No such option: (\S+?)(?: Did you mean (.*)\?)?$", r"没有该选项：\1"),
    (r"^No such command '([^']*)'\.?", r"没有该命令：\1"),
    (r"^No such command \"([^\"]*)\"\.?", r"没有该命令：\1"),
    (r"^Option '([^']*)' requires an argument\.?", r"选项 \1 需要一个值"),
    (r"^Option '([^']*)' does not take a value\.?", r"选项 \1 不接受值"),
    (r"^Got unexpected extra argument(?:s|\(s\))? \((.*)\)", r"多余的参数：\1"),
    (r"^Invalid value for '([^']*)'(?: / '[^']*')*: ", r"\1 的取值无效："),
    (r"^Invalid value for ([^:]*): ", r"\1 的取值无效："),
    (r"^Invalid value: ", "取值无效："),
    (r"'([^']*)' is not a valid integer(?: range)?\.?", r"“\1”不是整数"),
    (r"'([^']*)' is not a valid float\.?", r"“\1”不是数字"),
    (r"'([^']*)' is not a valid boolean\.?", r"“\1”不是 是/否"),
    (r"Input should be a valid integer.*", "应为整数"),
    (r"Input should be a valid number.*", "应为数字"),
    (r"Input should be a valid boolean.*", "应为 是/否"),
    (r"Input should be greater than or equal to (\S+)", r"应不小于 \1"),
    (r"Input should be less than or equal to (\S+)", r"应不大于 \1"),
    (r"Input should be greater than (\S+)", r"应大于 \1"),
    (r"Input should be less than (\S+)", r"应小于 \1"),
    (r"Input should be (.*)", r"应为 \1"),
    (r"(-?\d+) is not in the range (.*)\.?", r"\1 超出范围 \2"),
    (r"is not in the range", "超出范围"),
    (r"x>=(-?\d+)", r"≥\1"),
    (r"(-?\d+)<=x<=(-?\d+)", r"\1–\2"),
    (r"File '([^']*)' does not exist\.?", r"文件不存在：\1"),
    (r"Path '([^']*)' does not exist\.?", r"路径不存在：\1"),
    (r" Did you mean (.*)\?$", r"（是否想输入 \1？）"),
]
_ERRORS_COMPILED = [(re.compile(p), r) for p, r in _ERRORS]


def translate_help(text: str) -> str:
    for pattern, repl in _COMPILED:
        text = pattern.sub(repl, text)
    return text


def translate_error(message: str) -> str:
    for pattern, repl in _ERRORS_COMPILED:
        message = pattern.sub(repl, message)
    return message


def error_text(exc: Any) -> str:
    """The Chinese message of a Click usage error."""
    param = getattr(exc, "param", None)
    if type(exc).__name__ == "MissingParameter" and isinstance(param, typer.core.TyperArgument):
        return f"缺少参数：{param.help or param.name}"
    try:
        raw = exc.format_message()
    except Exception:  # pragma: no cover - a message is always there
        raw = str(exc)
    return translate_error(raw)


def render_usage_error(exc: Any, *, as_json: bool) -> None:
    """错误：… and a 提示 naming -h on stderr; one JSON document on stdout with --json."""
    message = error_text(exc)
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "jjadmin"
    hint = f"运行 {path} -h 查看用法和示例"
    sys.stderr.write(f"错误：{message}\n提示：{hint}\n")
    if as_json:
        import json

        doc = {"ok": False, "error": {"code": "usage", "message": message, "hint": hint}}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    sys.stderr.flush()
    sys.stdout.flush()


# help texts Typer itself gives (the completion options of the root)
_PARAM_HELP = {
    "Install completion for the current shell.": "为当前 shell 安装命令补全",
    "Show completion for the current shell, to copy it or customize the installation.": (
        "显示当前 shell 的补全脚本（可复制或自定义安装）"
    ),
}


def translate_params(command: Any) -> None:
    for param in command.params:
        text = getattr(param, "help", None)
        if text in _PARAM_HELP:
            param.help = _PARAM_HELP[text]


def _display_len(text: str) -> int:
    """Terminal columns of `text` (CJK characters take two), so help tables line up."""
    import unicodedata

    plain = _ANSI.sub("", text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in plain)


_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


def _show(self: Any, file: Any = None) -> None:
    # an error in the root's own options (before any command runs): the process's arguments
    # tell whether --json was asked for
    render_usage_error(self, as_json="--json" in sys.argv[1:])


def _get_help(original: Callable[..., str]) -> Callable[..., str]:
    def get_help(self: Any, ctx: Any) -> str:
        return translate_help(original(self, ctx))

    return get_help


_patched = False


def install() -> None:
    """Translate help pages and usage errors process-wide (called once by cli.py)."""
    global _patched
    if _patched:
        return
    _patched = True
    _click.core.Command.get_help = _get_help(_click.core.Command.get_help)  # type: ignore[method-assign]
    _click.exceptions.ClickException.show = _show  # type: ignore[method-assign]
    _click.exceptions.UsageError.show = _show  # type: ignore[method-assign]
    _click.formatting.term_len = _display_len  # type: ignore[assignment]
    # translate each option's row before the table is laid out, so the columns line up
    for cls in (typer.core.TyperOption, typer.core.TyperArgument):
        cls.get_help_record = _help_record(cls.get_help_record)  # type: ignore[method-assign]


def _help_record(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_help_record(self: Any, ctx: Any) -> Any:
        record = original(self, ctx)
        if record is None:
            return None
        name = translate_help(record[0])
        if isinstance(self, typer.core.TyperArgument) and " " in name:
            name = name.split(" ", 1)[1]  # `<文件>`, not the Python name `file <文件>`
        return name, translate_help(record[1])

    return get_help_record


def _remember_columns(ctx: Any, _param: Any, value: str | None) -> None:
    if value:
        ctx.find_root().meta["jjadmin.columns"] = value


def is_list_like(name: str, command: Any) -> bool:
    opts = {o for p in command.params for o in getattr(p, "opts", [])}
    return name == "list" or "--limit" in opts


def prepare(command: Any, name: str = "") -> Any:
    """Give a loaded command (and everything under it) the house help and options."""
    command.rich_markup_mode = None
    command.options_metavar = "[选项]"
    translate_params(command)
    if hasattr(command, "commands"):
        command.subcommand_metavar = "命令 [参数]..."
        for sub_name, sub in list(command.commands.items()):
            prepare(sub, sub_name)
        return command
    opts = {o for p in command.params for o in getattr(p, "opts", [])}
    if is_list_like(name, command) and "--columns" not in opts:
        import copy

        option = copy.copy(_columns_option())
        command.params.append(option)
    return command


_COLUMNS_OPTION: list[Any] = []


def _columns_option() -> Any:
    """A `--columns` option built by Typer itself (its parameters need Typer's descriptors)."""
    if not _COLUMNS_OPTION:
        probe = typer.Typer()

        @probe.command()
        def _probe(
            columns: str | None = typer.Option(
                None, "--columns", help=COLUMNS_HELP, metavar="列,列", callback=_remember_columns
            ),
        ) -> None:  # pragma: no cover - never run
            pass

        option = typer.main.get_command(probe).params[0]
        option.expose_value = False
        _COLUMNS_OPTION.append(option)
    return _COLUMNS_OPTION[0]


def lazy_commands(group: Any, ctx: Any, formatter: Any, entries: list[tuple[str, str]]) -> None:
    """The root's 命令 section from (name, help) pairs, without loading any sub-app."""
    rows = []
    for name in group.list_commands(ctx):
        loaded = typer.core.TyperGroup.get_command(group, ctx, name)
        if loaded is not None:
            rows.append((name, loaded.get_short_help_str(formatter.width - 20)))
            continue
        text = next((h for n, h in entries if n == name), "")
        rows.append((name, text))
    if rows:
        with formatter.section("命令"):
            formatter.write_dl(rows)
