"""`jjadmin credits annual/cycle/certificate/verify` and `me hours/certificate`, end to end."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from jjadmin.db import make_engine, session_factory
from tests.conftest import Cli
from tests.helpers_grades import World, build_world, grade_sheet


@pytest.fixture
def world(cli: Cli, tmp_path: Path) -> World:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        w = build_world(s)
    engine.dispose()
    path = grade_sheet(
        tmp_path,
        [
            [w.t1.learner_no, "C1", 90, None],
            [w.t1.learner_no, "D1", "合格", None],
            [w.t1.learner_no, "S1", 80, None],
            [w.t2.learner_no, "C1", 40, None],
            [w.t3.learner_no, "C1", 75, None],
        ],
        "grades.xlsx",
    )
    cli.json("grade", "import", str(path), "--period", "2601")
    cli.add_account("da", "district", "--district", "440104")
    return w


def test_annual_verification_json_terminal_and_workbook(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    doc = cli.json("credits", "annual", "--year", "2026")
    items = {i["learner_no"]: i for i in doc["items"]}
    # teachers added 2026-03-15 (the factories' NOW): 72 × 10 / 12 = 60 required
    assert {
        k: items[world.t1.learner_no][k]
        for k in ("year", "total", "public", "professional", "elective", "required", "passed")
    } == {
        "year": 2026,
        "total": "42",
        "public": "12",
        "professional": "24",
        "elective": "6",
        "required": "60",
        "passed": False,
    }
    assert doc["total"] == 3 and doc["passed"] == 0 and doc["rate"] == "0.0%"
    assert items[world.t1.learner_no]["school_name"] == world.a.name
    district = cli.json("credits", "annual", "--year", "2026", "--school", world.a.code)
    assert district["total"] == 2
    text = cli.run("credits", "annual", "--year", "2026").stdout
    assert "达标率" in text and world.a.name in text
    out = tmp_path / "年度验证.xlsx"
    refused = cli.run("credits", "annual", "--year", "2026", "--out", str(out), code=3)
    assert "短信验证" in refused.stderr and not out.exists()
    cli.verify()
    cli.run("credits", "annual", "--year", "2026", "--out", str(out))
    wb = load_workbook(out)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:9] == (
        "学号",
        "姓名",
        "学校名称",
        "验证年度",
        "总学时",
        "公需科目学时",
        "专业科目学时",
        "个人选修科目学时",
        "是否达标",
    )
    assert len(rows) == 4 and rows[1][0] == world.t1.learner_no and rows[1][4] == 42
    assert [r[0] for r in wb.worksheets[1].iter_rows(values_only=True)][0] == "学校代码"
    with zipfile.ZipFile(out) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())
    cli.run("credits", "annual", "--year", "2026", "--out", str(out), code=5)  # no overwrite
    cli.run("credits", "annual", "--year", "2026", "--out", str(out), "--overwrite")


def test_cycle_verification_and_a_cycle_off_the_grid(cli: Cli, world: World) -> None:
    doc = cli.json("credits", "cycle", "--cycle", "2026-2030")
    item = next(i for i in doc["items"] if i["learner_no"] == world.t1.learner_no)
    assert (item["cycle"], item["total"], item["required"]) == ("2026-2030", "42", "360")
    assert doc["cycle"] == "2026-2030"
    result = cli.run("credits", "cycle", "--cycle", "2021-2024", code=1)
    assert "周期" in result.stderr


def test_a_certificate_is_printed_for_a_passed_course_and_verified(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    pdf = tmp_path / "证明.pdf"
    ln = world.t1.learner_no
    cli.verify()
    doc = cli.json(
        "credits", "certificate", ln, "--course", "C1", "--period", "2601", "--out", str(pdf)
    )
    assert doc["file"] == str(pdf) and pdf.read_bytes().startswith(b"%PDF")
    code = doc["code"]
    checked = cli.json("credits", "verify", code)
    assert checked["genuine"] is True and checked["learner_no"] == ln
    cli.run("logout")
    assert cli.run("credits", "verify", code).exit_code == 0  # no login needed
    assert cli.run("credits", "verify", "ZZZZ-ZZZZ-ZZZZ", code=4).exit_code == 4
    cli.login("admin")
    cli.verify()
    again = tmp_path / "again.pdf"
    failed = cli.run(
        "credits",
        "certificate",
        world.t2.learner_no,
        "--course",
        "C1",
        "--period",
        "2601",
        "--out",
        str(again),
        code=5,
    )
    assert "未通过" in failed.stderr and not again.exists()
    cli.run(
        "credits",
        "certificate",
        ln,
        "--course",
        "C1",
        "--period",
        "2601",
        "--out",
        str(pdf),
        code=5,
    )


def test_a_teacher_sees_their_own_hours_and_prints_their_own_certificate(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    cli.login_teacher(world.t1.learner_no, world.t1.id_number[-6:].upper())
    doc = cli.json("me", "hours", "--year", "2026")
    assert doc["learner_no"] == world.t1.learner_no and doc["total"] == "42"
    assert {(i["hour_type"], i["hours"], i["source"]) for i in doc["items"]} == {
        ("个人选修", "6", "grade"),
        ("公需科目", "12", "grade"),
        ("专业科目", "24", "grade"),
    }
    own = cli.json("credits", "ledger", world.t1.learner_no)
    assert own["total"] == "42"
    cli.run("credits", "ledger", world.t2.learner_no, code=3)
    pdf = tmp_path / "mine.pdf"
    doc = cli.json("me", "certificate", "--course", "D1", "--period", "2601", "--out", str(pdf))
    assert pdf.exists() and cli.json("credits", "verify", doc["code"])["course_code"] == "D1"
    cli.run("credits", "annual", "--year", "2026", code=3)
