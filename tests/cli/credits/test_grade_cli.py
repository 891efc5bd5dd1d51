"""`jjadmin grade import/list/stats/template` and `batch undo` of a grade batch, end to end."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from jjadmin.db import make_engine, session_factory
from tests.conftest import Cli
from tests.helpers_grades import World, build_world, grade_sheet


@pytest.fixture
def world(cli: Cli) -> World:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        w = build_world(s)
    engine.dispose()
    cli.add_account("sa", "school", "--school", w.a.code)
    return w


def test_grade_import_list_and_ledger(cli: Cli, world: World, tmp_path: Path) -> None:
    path = grade_sheet(
        tmp_path,
        [[world.t1.learner_no, "C1", 88, "优"], [world.t2.learner_no, "C1", "不合格", None]],
    )
    doc = cli.json("grade", "import", str(path), "--period", "2601")
    assert (doc["ok"], doc["created"], doc["passed"], doc["not_passed"]) == (True, 2, 1, 1)
    listed = cli.json("grade", "list", "--period", "2601", "--course", "C1")
    assert [
        {k: i[k] for k in ("learner_no", "course_code", "score", "passed")} for i in listed["items"]
    ] == [
        {"learner_no": world.t1.learner_no, "course_code": "C1", "score": "88", "passed": True},
        {
            "learner_no": world.t2.learner_no,
            "course_code": "C1",
            "score": "不合格",
            "passed": False,
        },
    ]
    ledger = cli.json("credits", "ledger", world.t1.learner_no)
    assert ledger["learner_no"] == world.t1.learner_no and ledger["total"] == "24"
    assert [
        {k: i[k] for k in ("year", "hour_type", "hours", "source")} for i in ledger["items"]
    ] == [{"year": 2026, "hour_type": "专业科目", "hours": "24", "source": "grade"}]
    assert cli.json("credits", "ledger", world.t2.learner_no, "--year", "2026")["items"] == []
    table = cli.run("grade", "list", "--period", "2601").stdout
    assert world.t1.learner_no in table and "不合格" in table


def test_a_bad_sheet_is_refused_whole_with_an_error_workbook(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    path = grade_sheet(
        tmp_path,
        [
            [world.t1.learner_no, "C1", 101, None],
            [world.t3.learner_no, "D1", 80, None],
            [world.t2.learner_no, "C1", 75, None],
        ],
    )
    errors = tmp_path / "错误.xlsx"
    doc = cli.json(
        "grade", "import", str(path), "--period", "2601", "--errors-to", str(errors), code=1
    )
    assert doc["created"] == 0 and [e["row"] for e in doc["errors"]] == [2, 3]
    assert load_workbook(errors).active.max_row == 4  # every row, to fix and import again
    dry = cli.json("grade", "import", str(path), "--period", "2601", "--dry-run", code=1)
    assert dry["dry_run"] is True
    skipped = cli.json("grade", "import", str(path), "--period", "2601", "--skip-invalid", code=1)
    assert skipped["created"] == 1
    again = cli.run(
        "grade", "import", str(path), "--period", "2601", "--errors-to", str(errors), code=5
    )
    assert "已存在" in again.stderr or "overwrite" in again.stderr


def test_a_school_grading_a_city_course_exits_3(cli: Cli, world: World, tmp_path: Path) -> None:
    cli.login("sa")
    city = grade_sheet(tmp_path, [[world.t1.learner_no, "C1", 90, None]], "c.xlsx")
    result = cli.run("grade", "import", str(city), "--period", "2601", code=3)
    assert "全员培训" in result.stderr
    own = grade_sheet(tmp_path, [[world.t1.learner_no, "S1", "合格", None]], "s.xlsx")
    assert cli.json("grade", "import", str(own), "--period", "2601")["created"] == 1


def test_no_period_is_a_usage_error(cli: Cli, world: World, tmp_path: Path) -> None:
    path = grade_sheet(tmp_path, [[world.t1.learner_no, "C1", 90, None]])
    assert "期数" in cli.run("grade", "import", str(path), code=2).stderr


def test_undoing_a_grade_batch_takes_its_credits_back(
    cli: Cli, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = grade_sheet(tmp_path, [[world.t1.learner_no, "C1", 90, None]])
    batch = cli.json("grade", "import", str(path), "--period", "2601")["batch_id"]
    assert cli.json("credits", "ledger", world.t1.learner_no)["total"] == "24"
    # as in a process of its own (`jjadmin batch undo`): the grade import never ran there and
    # the credits package loads its modules lazily, so `batch undo` itself must load the
    # grades module that registers the ledger's undo follower
    from jjadmin.services import credits, imports

    monkeypatch.delitem(imports.UNDO_FOLLOWERS, "grade")
    monkeypatch.delitem(sys.modules, "jjadmin.services.credits.grades")
    monkeypatch.delattr(credits, "grades")
    cli.json("batch", "undo", str(batch), "--yes")
    assert "grade" in imports.UNDO_FOLLOWERS
    assert cli.json("credits", "ledger", world.t1.learner_no)["total"] == "0"
    assert cli.json("grade", "list", "--period", "2601")["total"] == 0


def test_grade_stats_shows_the_pass_rate_and_exports_it(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    path = grade_sheet(
        tmp_path,
        [[world.t1.learner_no, "C1", 88, None], [world.t2.learner_no, "C1", 30, None]],
    )
    cli.json("grade", "import", str(path), "--period", "2601")
    out = tmp_path / "通过率.xlsx"
    doc = cli.json("grade", "stats", "--period", "2601", "--out", str(out))
    assert doc["items"][0] == {
        "course_code": "C1",
        "course_name": "课程C1",
        "passed": 1,
        "not_passed": 2,
        "total": 3,
        "graded": 2,
        "rate": "33.3%",
    }
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0] == ("课程编号", "课程名称", "通过人数", "未通过人数", "总人数", "学员通过率")
    assert rows[1] == ("C1", "课程C1", 1, 2, 3, "33.3%")
    cli.run("grade", "stats", "--period", "2601", "--out", str(out), code=5)  # no overwrite
    text = cli.run("grade", "stats", "--period", "2601").stdout
    assert "33.3%" in text


def test_grade_template_has_the_sheet_columns(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "成绩模板.xlsx"
    cli.run("grade", "template", str(path))
    headers = next(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert [str(h).rstrip("*") for h in headers if h] == [
        "学号",
        "课程编号",
        "成绩",
        "备注",
        "期数",
    ]
    cli.run("grade", "template", str(path), code=5)


@pytest.mark.parametrize("broken", ["unreadable", "bad-rows"])
def test_a_role_that_may_not_grade_is_refused_before_the_sheet_is_read(
    cli: Cli, world: World, tmp_path: Path, broken: str
) -> None:
    if broken == "unreadable":
        path = tmp_path / "成绩.xlsx"
        path.write_bytes(b"PK\x03\x04 not a workbook")
    else:
        path = grade_sheet(tmp_path, [["坏学号XYZ", "C1", 101, None]])
    cli.add_account("sys", "system")
    cli.login("sys")  # an operator role that never grades
    for who in ("sys", "teacher"):
        if who == "teacher":
            cli.login_teacher(world.t1.learner_no, world.t1.id_number[-6:].upper())
        result = cli.run("grade", "import", str(path), "--period", "2601", "--json", code=3)
        text = result.stdout + result.stderr
        assert "无权导入成绩" in text
        assert "坏学号XYZ" not in text and '"row"' not in text and "xlsx" not in text
