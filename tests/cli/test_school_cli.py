"""`jjadmin school import` (the import engine end to end), list, show, set, template, export."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from jjadmin.importers.common import run_file_import
from jjadmin.importers.school import SCHOOL_COLUMNS
from jjadmin.services import schools
from jjadmin.services.imports import ImportOptions
from tests.conftest import Cli
from tests.helpers_school import SCHOOL_HEADERS, school_row, write_csv

XlsxFactory = Callable[..., Path]


def _nothing_written(cli: Cli) -> None:
    assert cli.json("school", "list")["total"] == 0
    assert cli.json("batch", "list")["total"] == 0


def _import_json(cli: Cli, path: Path, *extra: str, code: int = 0) -> dict[str, Any]:
    doc: dict[str, Any] = cli.json("school", "import", str(path), *extra, code=code)
    return doc


def test_a_good_workbook_is_imported_and_reported_in_the_spec_shape(
    cli: Cli, xlsx: XlsxFactory
) -> None:
    path = xlsx("学校.xlsx", SCHOOL_HEADERS, [school_row("4401040001"), school_row("4401040002")])
    doc = _import_json(cli, path)
    assert doc == {
        "ok": True,
        "total": 2,
        "created": 2,
        "updated": 0,
        "skipped": 0,
        "errors": [],
        "batch_id": 1,
    }
    listed = cli.json("school", "list")
    assert listed["total"] == 2
    assert listed["items"][0]["school_code"] == "4401040001"
    assert listed["items"][0]["district_name"] == "越秀区"


def test_the_cli_report_equals_the_service_report(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "mixed.csv",
        [
            school_row("4401040001"),
            school_row("4401040002", 办学类型="大学"),
            school_row("4401040003", 负责人移动电话="123"),
            school_row("4401040001"),
        ],
    )
    result = cli.run("school", "import", str(path), "--json", code=1)
    from_cli = json.loads(result.stdout)
    assert set(from_cli) == {"ok", "total", "created", "updated", "skipped", "errors"}
    assert all(set(e) == {"row", "column", "value", "message"} for e in from_cli["errors"])
    assert [e["row"] for e in from_cli["errors"]] == [3, 4, 5]

    from jjadmin.cli import app  # noqa: F401  (same settings as the CLI: env of the fixture)
    from jjadmin.config import get_settings
    from jjadmin.db import make_engine
    from jjadmin.services.auth import resolve_actor
    from jjadmin.services.context import ServiceContext
    from tests.factories import NOW

    settings = get_settings()
    token = json.loads((cli.tmp / "session.json").read_text("utf-8"))["token"]
    engine = make_engine(settings.effective_database_url)
    try:
        ctx = ServiceContext(engine=engine, now=NOW, settings=settings, credentials=token)
        ctx.set_actor(resolve_actor(ctx))
        service = run_file_import(
            ctx, path, SCHOOL_COLUMNS, schools.import_schools, options=ImportOptions()
        ).report
    finally:
        engine.dispose()
    assert from_cli == service.to_json()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件是空的"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024, "已损坏或被截断"),
        ("学校代码,学校名称\n".encode() + b"\xff\xfe\xfa\x80\x81,\x99\n", "无法识别文件编码"),
    ],
    ids=["empty", "ole2-damaged", "neither-utf8-nor-gb18030"],
)
def test_unreadable_files_are_one_clear_error_and_nothing_is_written(
    cli: Cli, tmp_path: Path, content: bytes, message: str
) -> None:
    suffix = ".xlsx" if content.startswith(b"\xd0") else ".csv"
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    result = cli.run("school", "import", str(path), code=1)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    doc = json.loads(cli.run("school", "import", str(path), "--json", code=1).stdout)
    assert doc["ok"] is False and message in doc["error"]["message"]
    _nothing_written(cli)


def test_a_truncated_workbook_is_rejected(cli: Cli, xlsx: XlsxFactory, tmp_path: Path) -> None:
    rows = [school_row(f"44010400{i:02d}") for i in range(1, 60)]
    data = xlsx("full.xlsx", SCHOOL_HEADERS, rows).read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: len(data) * 2 // 3])
    result = cli.run("school", "import", str(cut), code=1)
    assert "损坏或被截断" in result.stderr
    _nothing_written(cli)


def test_a_file_without_a_header_row_is_one_error(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "noheader.csv"
    path.write_text("4401040001,一小,440104,小学,公章,街,公办,王,13800138000\n", "utf-8")
    doc = _import_json(cli, path, code=1)
    (error,) = doc["errors"]
    assert error["row"] == 1 and "没有找到表头行" in error["message"]
    _nothing_written(cli)


def test_a_missing_required_column_is_exactly_one_error(cli: Cli, tmp_path: Path) -> None:
    headers = [h for h in SCHOOL_HEADERS if h != "学校公章名"]
    rows = [
        [
            v
            for h, v in zip(SCHOOL_HEADERS, school_row("4401040001"), strict=True)
            if h != "学校公章名"
        ]
    ]
    doc = _import_json(cli, write_csv(tmp_path / "a.csv", rows, headers=headers), code=1)
    assert doc["errors"] == [
        {"row": 1, "column": "学校公章名", "value": None, "message": "缺少必填列“学校公章名”"}
    ]
    _nothing_written(cli)


def test_a_duplicated_header_is_rejected(cli: Cli, xlsx: XlsxFactory) -> None:
    path = xlsx("dup.xlsx", [*SCHOOL_HEADERS, "学校名称"], [[*school_row("4401040001"), "又一个"]])
    doc = _import_json(cli, path, code=1)
    (error,) = doc["errors"]
    assert (error["row"], error["column"]) == (1, "学校名称") and "重复" in error["message"]
    _nothing_written(cli)


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_gbk_and_utf8_bom_csv_files_are_read_correctly(
    cli: Cli, tmp_path: Path, encoding: str
) -> None:
    path = write_csv(
        tmp_path / "s.csv",
        [school_row("4401040001", 学校名称="广州市越秀区东风西路小学", 所在镇街="洪桥街")],
        encoding=encoding,
    )
    assert _import_json(cli, path)["created"] == 1
    shown = cli.json("school", "show", "4401040001")
    assert (shown["name"], shown["town"]) == ("广州市越秀区东风西路小学", "洪桥街")


def test_extra_columns_are_ignored_with_a_note(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "s.csv",
        [[*school_row("4401040001"), "随便写点", "x"]],
        headers=[*SCHOOL_HEADERS, "备注", "内部编号"],
    )
    result = cli.run("school", "import", str(path), "--json")
    assert json.loads(result.stdout)["created"] == 1
    assert "已忽略未知列：备注、内部编号" in result.stderr


def test_dry_run_writes_nothing_and_exits_by_validity(cli: Cli, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", [school_row("4401040001"), school_row("4401040002")])
    bad = write_csv(tmp_path / "bad.csv", [school_row("4401040001"), school_row("44")])
    doc = _import_json(cli, good, "--dry-run")
    assert (doc["ok"], doc["created"], doc["dry_run"]) == (True, 2, True)
    doc = _import_json(cli, bad, "--dry-run", code=1)
    # a dry run says what the good rows would add (issue 13: not 新增 0)
    assert (doc["ok"], doc["created"], [e["row"] for e in doc["errors"]]) == (False, 1, [3])
    assert "校验未通过" in cli.run("school", "import", str(bad), "--dry-run", code=1).stderr
    _nothing_written(cli)
    assert cli.json("audit", "list", "--action", "school")["total"] == 0


def test_all_or_nothing_by_default_and_skip_invalid_writes_the_valid_rows(
    cli: Cli, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "s.csv",
        [
            school_row("4401040001"),
            school_row("4401040002", 学校性质="未知"),
            school_row("4401040003"),
        ],
    )
    result = cli.run("school", "import", str(path), code=1)
    assert "未写入任何数据" in result.stderr
    _nothing_written(cli)
    doc = _import_json(cli, path, "--skip-invalid", code=1)
    # a rejected row counts only as an error, never as skipped (SPEC §2)
    assert (doc["created"], doc["skipped"], len(doc["errors"])) == (2, 0, 1)
    assert [s["school_code"] for s in cli.json("school", "list")["items"]] == [
        "4401040001",
        "4401040003",
    ]
    (batch,) = cli.json("batch", "list")["items"]
    assert (batch["created"], batch["rejected"]) == (2, 1)


def test_errors_to_after_a_refusal_holds_every_row_and_imports_all_once_fixed(
    cli: Cli, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "s.csv",
        [
            school_row("4401040001"),
            school_row("4401040002", 负责人移动电话="1380013800"),
            school_row("4401040003"),
        ],
    )
    errors = tmp_path / "错误.xlsx"
    result = cli.run("school", "import", str(path), "--errors-to", str(errors), code=1)
    assert str(errors) in result.stderr
    _nothing_written(cli)

    wb = openpyxl.load_workbook(errors)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == [*SCHOOL_HEADERS, "错误说明"]
    assert ws.max_row == 4  # nothing was written: every row of the file, the bad one marked
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == ["4401040001", "4401040002", "4401040003"]
    assert [bool(ws.cell(r, len(SCHOOL_HEADERS) + 1).value) for r in (2, 3, 4)] == [
        False,
        True,
        False,
    ]
    bad = ws.cell(3, SCHOOL_HEADERS.index("负责人移动电话") + 1)
    assert bad.value == "1380013800"
    assert bad.fill.fgColor.rgb.endswith("FFC7CE")
    assert bad.comment is not None and "手机" in bad.comment.text
    assert "负责人移动电话" in ws.cell(3, len(SCHOOL_HEADERS) + 1).value

    bad.value = "13800138002"
    wb.save(errors)
    doc = _import_json(cli, errors)
    assert (doc["ok"], doc["created"]) == (True, 3)  # the good rows too, none lost
    assert cli.json("school", "show", "4401040002")["head_mobile"] == "13800138002"


def test_reimporting_the_same_file_is_idempotent(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [school_row("4401040001"), school_row("4401040002")])
    _import_json(cli, path)
    again = _import_json(cli, path)
    assert (again["created"], again["updated"], again["skipped"]) == (0, 0, 2)
    assert "batch_id" not in again
    assert cli.json("batch", "list")["total"] == 1
    (entry,) = cli.json("audit", "list", "--action", "school.import")["items"]
    assert entry["after"]["created"] == 2 and entry["batch_id"] == 1


def test_the_same_school_code_twice_names_the_first_row(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "s.csv",
        [
            school_row("4401040001"),
            school_row("4401040002"),
            school_row("4401040001", 学校名称="重"),
        ],
    )
    doc = _import_json(cli, path, code=1)
    assert doc["errors"] == [
        {"row": 4, "column": "学校代码", "value": "4401040001", "message": "与第 2 行重复"}
    ]


def test_more_rows_than_jjadmin_max_rows_are_refused(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "s.csv", [school_row(f"44010400{i:02d}") for i in range(1, 12)])
    monkeypatch.setenv("JJADMIN_MAX_ROWS", "10")
    result = cli.run("school", "import", str(path), code=1)
    assert "超过上限 10 行" in result.stderr and "JJADMIN_MAX_ROWS" in result.stderr
    _nothing_written(cli)
    monkeypatch.setenv("JJADMIN_MAX_ROWS", "11")
    assert _import_json(cli, path)["created"] == 11


def test_a_district_admin_imports_and_lists_only_its_district(cli: Cli, tmp_path: Path) -> None:
    cli.add_account("yx", "district", "--district", "440104")
    cli.login("yx")
    path = write_csv(
        tmp_path / "s.csv", [school_row("4401040001"), school_row("4401060001", district="440106")]
    )
    doc = _import_json(cli, path, code=1)
    assert doc["errors"][0]["message"] == "只能导入本区的学校"
    assert _import_json(cli, path, "--skip-invalid", code=1)["created"] == 1
    assert cli.json("school", "list")["total"] == 1


def test_set_requires_the_seven_fields_and_value_lists(cli: Cli, tmp_path: Path) -> None:
    cli.run("school", "import", str(write_csv(tmp_path / "s.csv", [school_row("4401040001")])))
    result = cli.run("school", "set", "4401040001", "--seal-name", " ", code=1)
    assert "学校公章名为必填项" in result.stderr
    assert "办学类型" in cli.run("school", "set", "4401040001", "--type", "外星", code=1).stderr
    doc = cli.json("school", "set", "4401040001", "--seal-name", "广州市越秀区第一小学")
    assert doc["seal_name"] == "广州市越秀区第一小学"
    (entry,) = cli.json("audit", "list", "--action", "school.set")["items"]
    assert entry["after"] == {"seal_name": "广州市越秀区第一小学"}
    assert cli.run("school", "set", "4409999999", "--town", "x", code=4).stderr


def test_template_and_export_round_trip(cli: Cli, tmp_path: Path) -> None:
    template = tmp_path / "模板.xlsx"
    cli.run("school", "template", str(template))
    wb = openpyxl.load_workbook(template)
    assert [c.value for c in wb.worksheets[0][1]] == SCHOOL_HEADERS
    assert "说明" in wb.sheetnames
    # the empty template is read cleanly, and importing no rows is said (exit 1, issue 13)
    empty = _import_json(cli, template, code=1)
    assert empty["total"] == 0 and "没有数据行" in empty["errors"][0]["message"]
    cli.run("school", "import", str(write_csv(tmp_path / "s.csv", [school_row("0401040001")])))
    out = tmp_path / "export.xlsx"
    assert cli.json("school", "export", str(out))["rows"] == 1
    exported = openpyxl.load_workbook(out).worksheets[0]
    assert exported.cell(2, 1).value == "0401040001"  # leading zero kept as text
    again = _import_json(cli, out)
    assert (again["created"], again["updated"]) == (0, 0)


@pytest.fixture
def cli(any_cli: Cli) -> Cli:
    """This module's commands run on SQLite and on PostgreSQL (issue 16)."""
    return any_cli
