"""A roster saved as .xls, .ods or .xlsm imports exactly as the .xlsx does (SPEC §5)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jjadmin.importers.teacher import TEACHER_HEADERS
from tests.cli.test_enroll_cli import Data, as_school, data  # noqa: F401 - the fixture
from tests.cli.test_teacher_cli import city, new_id  # noqa: F401 - the fixture
from tests.conftest import Cli
from tests.sheet_formats import fuzzed, make_ods, make_xls, rename_ole2_stream
from tests.xlsx_helpers import make_xlsx

MAKERS: dict[str, Callable[..., Path]] = {
    ".xlsx": make_xlsx,
    ".xlsm": make_xlsx,
    ".xls": make_xls,
    ".ods": make_ods,
}


def roster() -> list[list[Any]]:
    base = {
        "姓名": "李四",
        "手机号": "13900139000",
        "学校代码": "4401040001",
        "任教学段": "初中",
        "任教学科": "数学",
    }
    same = new_id()
    rows = [
        {"身份证号": new_id(), "出生日期": date(1990, 1, 1)},
        {"身份证号": new_id(), "手机号": "123"},
        {},  # blank row: skipped
        {"身份证号": same},
        {"身份证号": same, "姓名": "王五"},
        {"身份证号": new_id(), "任教学段": "大学"},
    ]
    out: list[list[Any]] = [list(TEACHER_HEADERS)]
    for row in rows:
        out.append([{**base, **row}.get(h) if row else None for h in TEACHER_HEADERS])
    return out


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("file", "batch_id", "sha256")}


@pytest.mark.parametrize("suffix", [".xls", ".ods", ".xlsm"])
def test_the_roster_in_each_format_gives_the_report_of_the_xlsx(
    city: Cli,  # noqa: F811
    tmp_path: Path,
    suffix: str,
) -> None:
    rows = roster()
    xlsx = make_xlsx(tmp_path / "roster.xlsx", rows, sheet_title="教师")
    other = MAKERS[suffix](tmp_path / f"roster{suffix}", rows, sheet_title="教师")
    expected = json.loads(city.run("teacher", "import", str(xlsx), "--json", code=1).stdout)
    got = json.loads(city.run("teacher", "import", str(other), "--json", code=1).stdout)
    assert comparable(got) == comparable(expected)
    assert [(e["row"], e["column"]) for e in got["errors"]] == [
        (3, "手机号"),
        (6, "身份证号"),
        (7, "任教学段"),
    ]
    done = city.json("teacher", "import", str(other), "--skip-invalid", code=1)
    assert done["created"] == 2
    page = city.json("teacher", "list")
    assert page["total"] == 2
    assert {item["birth_date"] for item in page["items"]} >= {"1990-01-01"}


def test_an_encrypted_workbook_exits_1_with_its_own_line(city: Cli, tmp_path: Path) -> None:  # noqa: F811
    path = make_xls(tmp_path / "加密.xlsx", roster())
    rename_ole2_stream(path, "Workbook", "EncryptedPackage")
    result = city.run("teacher", "import", str(path), code=1)
    assert "工作簿已加密" in result.stderr and "Traceback" not in result.stderr
    assert city.json("teacher", "list")["total"] == 0


@pytest.mark.parametrize("suffix", [".xls", ".ods"])
def test_an_enrollment_sheet_in_each_format_gives_the_report_of_the_xlsx(
    cli: Cli,
    data: Data,  # noqa: F811
    tmp_path: Path,
    suffix: str,
) -> None:
    as_school(cli)
    rows: list[list[Any]] = [
        ["学号", "课程编号", "姓名"],
        [data.learners[0], "C001", data.names[0]],
        ["44012699999999", "C002", None],
        [data.learners[2], "ZZZ", None],
    ]
    xlsx = make_xlsx(tmp_path / "选课.xlsx", rows)
    other = MAKERS[suffix](tmp_path / f"选课{suffix}", rows)
    args = ("--period", "2601", "--skip-invalid")
    expected = cli.json("enroll", "import", str(xlsx), *args, "--dry-run", code=1)
    got = cli.json("enroll", "import", str(other), *args, code=1)
    assert comparable({**got, "dry_run": None}) == comparable({**expected, "dry_run": None})
    assert [(e["row"], e["column"]) for e in got["errors"]] == [(3, "学号"), (4, "课程编号")]
    assert got["created"] == 1


def _crafted(tmp_path: Path) -> dict[str, Path]:
    """Files that must each end in exit 1 quickly: fuzzed and truncated OLE2, an .ods
    repeating rows past every limit, a password-protected xlsx, an .xlsb, a web page."""
    whole = make_xls(tmp_path / "whole.xls", roster()).read_bytes()
    files: dict[str, Path] = {}
    for seed in range(3):
        files[f"fuzzed-{seed}.xls"] = tmp_path / f"fuzzed-{seed}.xls"
        files[f"fuzzed-{seed}.xls"].write_bytes(fuzzed(whole, seed, flips=200))
    files["truncated.xls"] = tmp_path / "truncated.xls"
    files["truncated.xls"].write_bytes(whole[: len(whole) // 2])
    repeat = (
        '<table:table-row table:number-rows-repeated="1048576">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p>'
        "</table:table-cell></table:table-row>"
    )
    files["repeats.ods"] = make_ods(tmp_path / "repeats.ods", roster(), tail_xml=repeat)
    files["secret.xlsx"] = make_xls(tmp_path / "secret.xlsx", roster())
    rename_ole2_stream(files["secret.xlsx"], "Workbook", "EncryptedPackage")
    files["web.xls"] = tmp_path / "web.xls"
    files["web.xls"].write_text("<html><table><tr><td>学号</td></tr></table></html>")
    return files


def test_crafted_files_of_each_format_end_in_exit_1_within_seconds(
    city: Cli,  # noqa: F811
    tmp_path: Path,
) -> None:
    for name, path in _crafted(tmp_path).items():
        started = time.monotonic()
        result = city.run("teacher", "import", str(path), code=1)
        assert "Traceback" not in result.stderr, name
        assert time.monotonic() - started < 20, name
    assert city.json("teacher", "list")["total"] == 0
