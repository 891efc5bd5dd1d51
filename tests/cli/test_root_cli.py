"""The root handler: exit codes (SPEC §2), one JSON document, internal errors, prompts, clock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import Cli


def _boom(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("boom: secret internals")


def test_an_internal_error_prints_one_line_and_the_log_file(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jjadmin.services import school_views as schools

    monkeypatch.setattr(schools, "list_schools", _boom)
    result = cli.run("school", "list", code=10)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "内部错误（RuntimeError）" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    log = Path(lines[0].split("日志文件 ", 1)[1].split("（", 1)[0])
    assert log.parent == cli.tmp / "logs"
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "RuntimeError: boom: secret internals" in text


def test_an_internal_error_in_json_mode_is_one_json_document(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jjadmin.services import school_views as schools

    monkeypatch.setattr(schools, "list_schools", _boom)
    doc = cli.json("school", "list", code=10)
    assert doc["ok"] is False
    assert doc["error"]["code"] == "internal"
    assert Path(doc["error"]["log"]).is_file()


def test_debug_lets_the_traceback_through(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from jjadmin.services import school_views as schools

    monkeypatch.setattr(schools, "list_schools", _boom)
    result = cli.run("--debug", "school", "list", code=None)
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    assert not (cli.tmp / "logs").exists()


@pytest.mark.parametrize(
    ("args", "code", "error_code", "message"),
    [
        (("school", "show", "4409999999"), 4, "not-found", "学校不存在"),
        (("audit", "list", "--since", "昨天"), 2, "usage", "不是 ISO 8601 时间"),
        (("batch", "undo", "99", "--yes"), 4, "not-found", "批次不存在"),
        (("school", "import", "missing.xlsx"), 4, "not-found", "文件不存在"),
    ],
)
def test_failures_print_exactly_one_json_document_in_json_mode(
    cli: Cli, args: tuple[str, ...], code: int, error_code: str, message: str
) -> None:
    result = cli.run(*args, "--json", code=code)
    doc = json.loads(result.stdout)  # the whole of stdout is one document
    assert doc["ok"] is False
    assert doc["error"]["code"] == error_code
    assert message in doc["error"]["message"]
    assert message in result.stderr  # humans still get the message on stderr
    assert "Traceback" not in result.stderr


def test_errors_before_the_command_runs_still_honour_json(cli: Cli) -> None:
    result = cli.run("school", "list", "--json", code=2, env={"JJADMIN_NOW": "下周一"})
    doc = json.loads(result.stdout)
    assert doc["error"]["code"] == "usage"
    assert "JJADMIN_NOW" in doc["error"]["message"]


def test_a_bad_setting_is_a_usage_error_naming_the_variable(cli: Cli) -> None:
    result = cli.run("school", "list", code=2, env={"JJADMIN_MAX_ROWS": "很多"})
    assert "环境变量 JJADMIN_MAX_ROWS 的值不正确：很多" in result.stderr
    cli.run("school", "list", code=2, env={"JJADMIN_MAX_ROWS": "0"})


def test_typer_usage_errors_stay_exit_2(cli: Cli) -> None:
    assert "--bogus" in cli.run("school", "list", "--bogus", code=2).stderr
    assert cli.run("school", "show", code=2).stdout == ""
    cli.run("no-such-command", code=2)


def test_error_messages_are_printed_literally_and_on_one_line(cli: Cli) -> None:
    result = cli.run("school", "show", "[bold]" + "x" * 300, code=4)
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "错误：学校不存在：[bold]" + "x" * 300


@pytest.mark.parametrize(
    "args",
    [
        ("login", "admin"),
        ("account", "add", "u1", "--role", "city", "--name", "张三", "--mobile", "13900139000"),
        ("account", "passwd"),
    ],
)
def test_without_a_terminal_nothing_prompts_for_a_password(cli: Cli, args: tuple[str, ...]) -> None:
    result = cli.run(*args, code=2)
    assert "没有终端" in result.stderr
    assert "--password-stdin" in result.stderr


def test_login_without_a_username_and_without_a_terminal_is_a_usage_error(cli: Cli) -> None:
    result = cli.run("login", "--password-stdin", input="x\n", code=2)
    assert "没有终端" in result.stderr


def test_jjadmin_now_is_the_clock(cli: Cli) -> None:
    cli.set_now("2026-09-01T08:30:00+08:00")
    doc = cli.json("login", "admin", "--password-stdin", input="Passw0rd!\n")
    assert datetime.fromisoformat(doc["expires_at"]) == datetime.fromisoformat(
        "2026-09-01T08:30:00+08:00"
    ) + timedelta(hours=8)
    rows = cli.json("audit", "list", "--action", "auth.login")["items"]
    assert rows[0]["at"] == "2026-09-01T08:30:00+08:00"


def test_help_never_opens_a_database(cli: Cli) -> None:
    result = cli.run("--db", "sqlite:////nonexistent/dir/x.db", "school", "--help")
    assert "学校" in result.stdout
