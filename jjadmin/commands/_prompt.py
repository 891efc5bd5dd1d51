"""Prompts only with a TTY; otherwise raise a usage error that names the option."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from jjadmin.errors import UsageError


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def ask_password(message: str, *, option: str = "--password-stdin") -> str:
    if not interactive():
        raise UsageError("没有终端可提示输入密码", hint=f"使用 {option} 从标准输入提供密码")
    import questionary

    answer = questionary.password(message).ask()
    if answer is None:
        raise UsageError("已取消")
    return str(answer)


def ask_text(message: str, *, option: str, default: str = "") -> str:
    if not interactive():
        raise UsageError(f"没有终端可提示输入：{message}", hint=f"使用 {option} 提供该值")
    import questionary

    answer = questionary.text(message, default=default).ask()
    if answer is None:
        raise UsageError("已取消")
    return str(answer)


def ask_path(message: str, *, option: str) -> str:
    """A file path, with completion; raises UsageError without a terminal."""
    if not interactive():
        raise UsageError(f"没有终端可提示输入：{message}", hint=f"使用 {option} 提供该文件")
    import questionary

    answer = questionary.path(message).ask()
    if answer is None:
        raise UsageError("已取消")
    return str(answer)


def confirm(message: str, *, yes: bool, summary: Sequence[str] = ()) -> None:
    """Ask before a destructive change (SPEC §2): `--yes` goes ahead; without a terminal
    nothing prompts and the command refuses (exit 2) naming --yes; with one the `summary`
    of what will change is shown before the question."""
    if yes:
        return
    if not interactive():
        raise UsageError(
            f"{message.rstrip('？?')}：没有终端可确认，未做任何修改",
            hint="确认无误后加 --yes 执行",
        )
    for line in summary:
        sys.stderr.write(f"{line}\n")
    sys.stderr.flush()
    import questionary

    if not questionary.confirm(message, default=False).ask():
        raise UsageError("已取消")


def read_stdin_line() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\r\n")
