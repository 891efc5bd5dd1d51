"""Prompts only with a TTY; otherwise raise a usage error that names the option."""

from __future__ import annotations

import sys

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


def confirm(message: str, *, yes: bool) -> None:
    # SPEC §2: without a TTY nothing ever prompts; the command line is the request (cron-safe).
    if yes or not interactive():
        return
    import questionary

    if not questionary.confirm(message, default=False).ask():
        raise UsageError("已取消")


def read_stdin_line() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\r\n")
