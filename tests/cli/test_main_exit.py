"""`jjadmin`'s console entry (cli.main): exit codes, exit handlers and complete output with
os._exit; and a not-logged-in import is refused (exit 3) whatever the file holds."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jjadmin import cli as cli_module
from tests.cli.test_teacher_cli import SCHOOL_HEADERS
from tests.conftest import Cli
from tests.factories import id_number

TEACHERS = 120  # about 45 KB of JSON: several times stdout's 8 KB buffer
STAGE_SUBJECT = {"任教学段": "小学", "任教学科": "语文"}


def jjadmin(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """`python -m jjadmin …` in a child process, with this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "jjadmin", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
        **kwargs,
    )


def python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )


@pytest.fixture
def roster(cli: Cli, xlsx: Callable[..., Path]) -> Cli:
    """One school and TEACHERS teachers, imported in-process."""
    school = ["4401040001", "越秀一小", "440104", "小学", "越秀一小", "街道", "公办", "校长"]
    cli.run(
        "school", "import", str(xlsx("schools.xlsx", SCHOOL_HEADERS, [[*school, "13800138000"]]))
    )
    headers = ["姓名", "身份证号", "手机号", "学校代码", "任教学段", "任教学科"]
    rows = [
        [f"教师{i:03d}", id_number(seq=i), "13900139000", "4401040001", "小学", "语文"]
        for i in range(TEACHERS)
    ]
    report = cli.json("teacher", "import", str(xlsx("teachers.xlsx", headers, rows)))
    assert report["created"] == TEACHERS
    return cli


# --- in a child process ---------------------------------------------------------------------


def test_help_exits_0_with_the_whole_help_on_stdout() -> None:
    done = jjadmin("--help")
    assert done.returncode == 0, done.stderr
    assert "继教管理" in done.stdout
    assert all(name in done.stdout for name in ("teacher", "enroll", "batch"))
    assert done.stderr == ""


def test_an_unknown_command_exits_2() -> None:
    done = jjadmin("no-such-command")
    assert done.returncode == 2
    assert "no-such-command" in done.stderr


def test_an_unknown_learner_number_exits_4(cli: Cli) -> None:
    done = jjadmin("teacher", "show", "44012699999999")
    assert done.returncode == 4, done.stderr
    assert "学号不存在" in done.stderr
    assert done.stdout == ""


def test_an_unknown_learner_number_with_json_exits_4_with_one_document(cli: Cli) -> None:
    done = jjadmin("teacher", "show", "44012699999999", "--json")
    assert done.returncode == 4, done.stderr
    doc = json.loads(done.stdout)
    assert doc["ok"] is False and doc["error"]["code"] == "not-found"


def test_not_logged_in_exits_3(cli: Cli) -> None:
    cli.run("logout")
    done = jjadmin("teacher", "list", "--json")
    assert done.returncode == 3, done.stderr
    assert "尚未登录" in done.stderr
    assert json.loads(done.stdout)["error"]["code"] == "not-authenticated"


def test_the_json_list_on_stdout_is_complete(roster: Cli) -> None:
    done = jjadmin("teacher", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.encode()) > 4 * 8192
    assert done.stdout.endswith("}\n") and done.stdout.count("\n") == 1
    doc = json.loads(done.stdout)
    assert doc["total"] == TEACHERS
    assert sorted(item["name"] for item in doc["items"]) == [
        f"教师{i:03d}" for i in range(TEACHERS)
    ]


def test_the_human_table_on_stdout_is_complete(roster: Cli) -> None:
    done = jjadmin("teacher", "list")
    assert done.returncode == 0, done.stderr
    assert all(f"教师{i:03d}" in done.stdout for i in range(TEACHERS))


def test_output_written_to_a_file_is_complete(roster: Cli, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    with target.open("w") as handle:
        done = subprocess.run(
            [sys.executable, "-m", "jjadmin", "teacher", "list", "--json"],
            stdout=handle,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(target.read_text("utf-8"))["items"]) == TEACHERS


MAIN_WITH_EXIT_HANDLER = """
import atexit, sys
atexit.register(lambda: print("exit handler ran"))
sys.argv = ["jjadmin", *sys.argv[1:]]
from jjadmin.cli import main
main()
raise SystemExit(99)  # never reached: main() leaves with os._exit
"""


@pytest.mark.parametrize(
    ("args", "code"), [(("--help",), 0), (("teacher", "show", "44012699999999"), 4)]
)
def test_main_runs_the_exit_handlers_and_flushes_their_output(
    cli: Cli, args: tuple[str, ...], code: int
) -> None:
    done = python(MAIN_WITH_EXIT_HANDLER, *args)
    assert done.returncode == code, done.stderr
    assert done.stdout.endswith("exit handler ran\n")


def test_main_exits_2_on_a_usage_error_in_a_child_process() -> None:
    done = python(MAIN_WITH_EXIT_HANDLER, "teacher", "show")
    assert done.returncode == 2
    assert "缺少参数：继续教育学号" in done.stderr
    assert done.stdout == "exit handler ran\n"


# --- cli._exit_code, cli._leave and cli.main in this process ----------------------------------


@pytest.mark.parametrize(("code", "expected"), [(None, 0), (0, 0), (3, 3), (4, 4), (120, 120)])
def test_exit_code_of_none_and_integers(
    code: object, expected: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_module._exit_code(code) == expected
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("code", ["出错了", ["x"], 1.5])
def test_any_other_exit_code_is_written_to_stderr_and_exits_1(
    code: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_module._exit_code(code) == 1
    assert capsys.readouterr().err == f"{code}\n"


class Left(Exception):
    """Raised by the stand-in for os._exit."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Stream(io.StringIO):
    def __init__(self, failure: type[Exception] | None = None) -> None:
        super().__init__()
        self.failure = failure
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        if self.failure is not None:
            raise self.failure("flush failed")


@pytest.fixture
def leaving(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """os._exit raises Left instead; the exit handlers only record that they ran."""
    import atexit

    events: list[str] = []

    def fake_exit(code: int) -> None:
        events.append(f"exit {code}")
        raise Left(code)

    monkeypatch.setattr(os, "_exit", fake_exit)
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: events.append("exit handlers"))
    return events


def run_leave(code: int) -> int:
    with pytest.raises(Left) as left:
        cli_module._leave(code)
    return left.value.code


@pytest.mark.parametrize(("failure", "code", "expected"), [
    (None, 0, 0),
    (None, 4, 4),
    (BrokenPipeError, 0, 120),
    (ValueError, 0, 120),  # a closed stream
    (BrokenPipeError, 4, 4),
])  # fmt: skip
def test_leave_flushes_both_streams_and_a_failed_flush_of_a_success_is_120(
    monkeypatch: pytest.MonkeyPatch,
    leaving: list[str],
    failure: type[Exception] | None,
    code: int,
    expected: int,
) -> None:
    out, err = Stream(failure), Stream()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    assert run_leave(code) == expected
    assert (out.flushes, err.flushes) == (1, 1)
    assert leaving == ["exit handlers", f"exit {expected}"]


def test_leave_runs_the_exit_handlers_before_flushing(
    monkeypatch: pytest.MonkeyPatch, leaving: list[str]
) -> None:
    import atexit

    out = Stream()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", Stream())
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: print("from a handler"))
    assert run_leave(0) == 0
    assert out.getvalue() == "from a handler\n" and out.flushes == 1


@pytest.mark.parametrize(
    ("raised", "expected", "stderr"),
    [(None, 0, ""), (SystemExit(0), 0, ""), (SystemExit(5), 5, ""), (SystemExit("停"), 1, "停\n")],
)
def test_main_leaves_with_the_code_the_app_exits_with(
    monkeypatch: pytest.MonkeyPatch,
    leaving: list[str],
    raised: SystemExit | None,
    expected: int,
    stderr: str,
) -> None:
    def app() -> None:
        if raised is not None:
            raise raised

    err = Stream()
    monkeypatch.setattr(cli_module, "app", app)
    monkeypatch.setattr(sys, "stdout", Stream())
    monkeypatch.setattr(sys, "stderr", err)
    with pytest.raises(Left) as left:
        cli_module.main()
    assert left.value.code == expected
    assert err.getvalue() == stderr
    assert leaving == ["exit handlers", f"exit {expected}"]


# --- a not-logged-in import (CliRunner) -------------------------------------------------------


def wrong_header_file(tmp_path: Path, kind: str) -> Path:
    if kind == "csv":
        path = tmp_path / "wrong.csv"
        path.write_text("甲,乙\n1,2\n", encoding="utf-8")
        return path
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["甲", "乙"])
    ws.append(["1", "2"])
    path = tmp_path / "wrong.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_teacher_import_by_someone_not_logged_in_exits_3_even_with_a_wrong_header(
    cli: Cli, tmp_path: Path, kind: str
) -> None:
    path = wrong_header_file(tmp_path, kind)
    logged_in = cli.json("teacher", "import", str(path), code=1)  # the header is wrong
    assert "没有找到表头行" in logged_in["errors"][0]["message"]
    cli.run("logout")
    result = cli.run("teacher", "import", str(path), code=3)
    assert "尚未登录" in result.stderr
    assert "表头" not in result.stdout + result.stderr
    doc = cli.json("teacher", "import", str(path), code=3)
    assert doc["error"]["code"] == "not-authenticated"


def test_an_enroll_import_by_someone_not_logged_in_exits_3_even_with_a_wrong_header(
    cli: Cli, tmp_path: Path
) -> None:
    path = wrong_header_file(tmp_path, "xlsx")
    cli.run("logout")
    result = cli.run("enroll", "import", str(path), "--period", "2601", code=3)
    assert "尚未登录" in result.stderr


def test_a_closed_stdout_pipe_is_not_an_internal_error(cli: Cli) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `jjadmin teacher list --json | head -c0`
    try:
        done = subprocess.run(
            [sys.executable, "-m", "jjadmin", "teacher", "list", "--json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
            timeout=120,
        )
    finally:
        os.close(write_end)
    logs = cli.tmp / "logs"
    assert not (logs.exists() and any(logs.iterdir())), done.stderr
    assert (done.returncode, done.stderr) == (120, "")
