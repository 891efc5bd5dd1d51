"""`jjadmin ability config/show/questionnaire/assess/recommend/confirm` end to end, and the
course sheet's 能力维度 column."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from jjadmin.db import make_engine, session_factory
from jjadmin.models import AbilityConfig
from tests.conftest import Cli
from tests.factories import make_school, make_teacher
from tests.helpers_ability import answer_rows, answer_sheet, catalogue
from tests.helpers_courses import make_period


@dataclass
class World:
    teacher: str  # 学号 of the pilot 英语 teacher (logged in as needed)
    first_password: str
    other: str  # a 数学 teacher of the same school (not a pilot subject)


@pytest.fixture
def world(cli: Cli) -> World:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        p = make_period(s)
        school = make_school(s, "4401040001", "440104")
        t = make_teacher(s, school, subject="英语", stage="初中")
        m = make_teacher(s, school, subject="数学", stage="初中")
        catalogue(s, p)
        s.commit()
        w = World(t.learner_no, t.id_number[-6:].upper(), m.learner_no)
    engine.dispose()
    return w


def configured(cli: Cli) -> None:
    doc = cli.json(
        "ability",
        "config",
        "--period",
        "2601",
        "--districts",
        "440104,440105",
        "--subjects",
        "英语,物理",
    )
    assert doc["pilots"] == 4


def as_teacher(cli: Cli, w: World) -> None:
    cli.login_teacher(w.teacher, w.first_password)


def test_config_and_show(cli: Cli, world: World) -> None:
    missing = cli.run("ability", "show", "--period", "2601", code=4)
    assert "未设置能力提升工程试点" in missing.stderr
    configured(cli)
    doc = cli.json("ability", "show", "--period", "2601")
    assert [d["code"] for d in doc["districts"]] == ["440104", "440105"]
    assert doc["subjects"] == ["英语", "物理"]
    human = cli.run("ability", "show", "--period", "2601").stdout
    assert "越秀区" in human and "英语、物理" in human
    bad = cli.run(
        "ability",
        "config",
        "--period",
        "2601",
        "--districts",
        "440104",
        "--subjects",
        "魔法",
        code=1,
    )
    assert "任教学科不在取值范围内" in bad.stderr
    cli.add_account("dist", "district", "--district", "440104")
    cli.login("dist")
    cli.run(
        "ability",
        "config",
        "--period",
        "2601",
        "--districts",
        "440104",
        "--subjects",
        "英语",
        code=3,
    )


def test_questionnaire_writes_the_blank_sheet_and_never_overwrites(
    cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "答题卡.xlsx"
    doc = cli.json("ability", "questionnaire", "--out", str(out))
    assert doc["items"] == 20
    ws = openpyxl.load_workbook(out).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("题号", "题目", "答案")
    assert [r[0] for r in rows[1:]] == list(range(1, 21))
    assert all(r[1] and r[2] is None for r in rows[1:])
    cli.run("ability", "questionnaire", "--out", str(out), code=5)
    cli.run("ability", "questionnaire", "--out", str(out), "--overwrite")


def test_a_pilot_teacher_assesses_gets_recommendations_and_confirms_50_hours(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    configured(cli)
    sheet = tmp_path / "答题卡.xlsx"
    as_teacher(cli, world)
    cli.run("ability", "questionnaire", "--out", str(sheet))
    # fill in the blank sheet the command wrote: 评估与诊断 weakest
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    assert ws is not None
    for n, row in enumerate(ws.iter_rows(min_row=2), start=1):
        row[2].value = "A" if 13 <= n <= 16 else "D"
    wb.save(sheet)
    first = cli.json("ability", "assess", "--period", "2601", "--answers", str(sheet))
    assert first == {
        "attempt": 1,
        "attempts_left": 2,
        "scores": {
            "技术素养": 16,
            "计划与准备": 16,
            "组织与管理": 16,
            "评估与诊断": 4,
            "学习与发展": 16,
        },
        "topic": "评估与诊断",
    }
    not_yet = cli.run("ability", "recommend", "--period", "2601", code=5)
    assert "尚未确认诊断测评" in not_yet.stderr
    confirmed = cli.json("ability", "assess", "--period", "2601", "--confirm")
    assert confirmed["attempt"] == 1
    rec = cli.json("ability", "recommend", "--period", "2601")
    assert [(r["course_code"], r["category"], r["hours"]) for r in rec["required"]] == [
        ("TS-G1", "通识必修", "8"),
        ("TS-P2", "专业必修", "18"),
        ("TS-S1", "校本研修", "16"),
    ]
    assert rec["total_required"] == "42"
    assert [e["course_code"] for e in rec["electives"]] == ["TS-E1", "TS-E2", "TS-E3"]
    assert all(r["reason"] for r in rec["required"] + rec["electives"])
    human = cli.run("ability", "recommend", "--period", "2601").stdout
    assert "推荐理由" in human and "TS-P2" in human
    short = cli.run("ability", "confirm", "--period", "2601", "--electives", "TS-E1", code=1)
    assert "还差 4 学时" in short.stderr
    short_json = cli.json("ability", "confirm", "--period", "2601", "--electives", "TS-E1", code=1)
    assert short_json["error"]["missing_hours"] == "4"
    doc = cli.json("ability", "confirm", "--period", "2601", "--electives", "TS-E1,TS-E2")
    assert (doc["total_hours"], doc["created"]) == ("50", 5)
    mine = cli.json("me", "courses", "--mine")
    assert {i["course_code"] for i in mine["items"]} == {
        "TS-G1",
        "TS-P2",
        "TS-S1",
        "TS-E1",
        "TS-E2",
    }
    # the required courses can never be dropped; an elective inside the window can
    refused = cli.run("me", "drop", "TS-P2", "--period", "2601", code=5)
    assert "不能删除" in refused.stderr
    cli.json("me", "drop", "TS-E2", "--period", "2601")
    # a plain me enroll of an ability course: exit 5, pointing at ability confirm
    plain = cli.run("me", "enroll", "TS-E3", "--period", "2601", code=5)
    assert "ability confirm" in plain.stderr
    again = cli.json("ability", "confirm", "--period", "2601", "--electives", "TS-E1,TS-E3")
    assert (again["total_hours"], again["created"], again["dropped"]) == ("54", 1, 0)


def test_a_bad_answer_sheet_is_reported_row_by_row_and_not_counted(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    configured(cli)
    rows: list[list[Any]] = answer_rows()
    rows[2][2] = "E"  # row 4
    rows[5][2] = None  # row 7
    del rows[-1]  # item 20 missing
    bad = answer_sheet(tmp_path / "bad.xlsx", rows)
    as_teacher(cli, world)
    errors_to = tmp_path / "错误.xlsx"
    doc = cli.json(
        "ability",
        "assess",
        "--period",
        "2601",
        "--answers",
        str(bad),
        "--errors-to",
        str(errors_to),
        code=1,
    )
    assert doc["ok"] is False
    assert {(e["row"], e["column"]) for e in doc["errors"]} == {
        (4, "答案"),
        (7, "答案"),
        (1, "题号"),
    }
    assert any("A、B、C、D" in e["message"] for e in doc["errors"])
    assert errors_to.exists()
    human = cli.run("ability", "assess", "--period", "2601", "--answers", str(bad), code=1)
    assert "缺少第 20 题" in human.stdout
    good = answer_sheet(tmp_path / "good.xlsx")
    assert cli.json("ability", "assess", "--period", "2601", "--answers", str(good))["attempt"] == 1
    for _ in range(2):
        cli.json("ability", "assess", "--period", "2601", "--answers", str(good))
    fourth = cli.run("ability", "assess", "--period", "2601", "--answers", str(good), code=5)
    assert "已达 3 次" in fourth.stderr
    cli.run("ability", "assess", "--period", "2601", "--answers", str(tmp_path / "no.xlsx"), code=4)


def test_outside_the_pilot_and_administrators(cli: Cli, world: World, tmp_path: Path) -> None:
    configured(cli)
    good = answer_sheet(tmp_path / "good.xlsx")
    # the city assesses for a teacher (an administrator in scope), not for a 数学 teacher
    doc = cli.json(
        "ability",
        "assess",
        world.teacher,
        "--period",
        "2601",
        "--answers",
        str(good),
        "--confirm",
    )
    assert doc["topic"] == "评估与诊断"
    outside = cli.run(
        "ability", "assess", world.other, "--period", "2601", "--answers", str(good), code=5
    )
    assert "不是能力提升工程试点教师" in outside.stderr
    assert (
        cli.json("ability", "recommend", world.teacher, "--period", "2601")["total_required"]
        == "42"
    )
    # confirming is the teacher's own
    cli.run(
        "ability",
        "confirm",
        world.teacher,
        "--period",
        "2601",
        "--electives",
        "TS-E3",
        code=3,
    )


def test_the_course_sheet_carries_the_ability_dimension(cli: Cli, xlsx: Any) -> None:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        make_period(s)
        s.add(AbilityConfig(period="2601", districts=[], subjects=[], updated_at=_now()))
        s.commit()
    engine.dispose()
    headers = [
        "期数",
        "课程编号",
        "课程名称",
        "培训级别",
        "课程类型",
        "学时类型",
        "学时",
        "培训费用",
        "收费单位",
        "提升工程类别",
        "能力维度",
    ]
    base = ["2601", "TS9", "微课", "提升工程", "远程", "专业科目", "4", "0", "中心", "任意选修"]
    ok = xlsx("课程.xlsx", headers, [[*base, "评估与诊断"]])
    cli.json("course", "import", str(ok))
    assert cli.json("course", "show", "TS9", "--period", "2601")["ability_dimension"] == (
        "评估与诊断"
    )
    bad = xlsx("课程2.xlsx", headers, [[*base, "魔法"]])
    doc = cli.json("course", "import", str(bad), code=1)
    assert doc["errors"][0]["column"] == "能力维度"


def _now() -> Any:
    from tests.factories import NOW

    return NOW


def test_recommend_runs_on_the_read_path_without_sqlalchemy(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    from tests.test_read_paths import HEAVY, _modules

    configured(cli)
    good = answer_sheet(tmp_path / "good.xlsx")
    cli.json(
        "ability", "assess", world.teacher, "--period", "2601", "--answers", str(good),
        "--confirm",
    )  # fmt: skip
    done, modules = _modules("ability", "recommend", world.teacher, "--period", "2601", "--json")
    assert done.returncode == 0, done.stderr
    assert '"total_required": "42"' in done.stdout
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_answer_sheets_in_other_formats_and_broken_files(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    configured(cli)
    as_teacher(cli, world)
    rows = answer_rows()
    csv = tmp_path / "答题卡.csv"  # as WPS saves it: GBK, full-width letters, lower case
    lines = ["题号,题目,答案"] + [f"{n},{text},{'ａ' if n == 1 else str(a).lower()}"
                                  for n, text, a in rows]  # fmt: skip
    csv.write_bytes("\r\n".join(lines).encode("gbk"))
    doc = cli.json("ability", "assess", "--period", "2601", "--answers", str(csv))
    assert doc["topic"] == "评估与诊断" and doc["scores"]["技术素养"] == 13
    broken = tmp_path / "坏文件.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook" * 10)
    result = cli.run("ability", "assess", "--period", "2601", "--answers", str(broken), code=1)
    assert "Traceback" not in result.stderr and result.stderr.strip()
    empty = tmp_path / "空.csv"
    empty.write_bytes(b"")
    cli.run("ability", "assess", "--period", "2601", "--answers", str(empty), code=1)
    # none of the refused files counted: the next attempt is the second
    assert cli.json("ability", "assess", "--period", "2601", "--answers", str(csv))["attempt"] == 2
