"""`jjadmin me courses/enroll/drop/hours` for a logged-in teacher, end to end."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from jjadmin.db import make_engine, session_factory
from jjadmin.models import AbilityConfig
from tests.conftest import TEACHER_PASSWORD, Cli
from tests.factories import NOW, make_school, make_teacher
from tests.helpers_courses import make_course, make_period

AFTER_WINDOW = "2026-04-02T10:00:00+08:00"


@dataclass
class Me:
    learner_no: str
    password: str


@pytest.fixture
def me(cli: Cli) -> Me:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        school = make_school(s, "4401040001", "440104")
        t = make_teacher(s, school, subject="数学", stage="初中")
        p = make_period(s)
        make_course(s, p, "M01", subjects="数学", stages="初中", hours=Decimal(24))
        for i in range(6):
            make_course(s, p, f"G0{i}", hours=Decimal(8))
        make_course(s, p, "AB01", level="提升工程", hours=Decimal(8))
        make_course(s, p, "FULL", capacity=1, enrolled=1)
        make_course(s, p, "D105", level="区级培训", district="440105")
        s.commit()
        learner_no, first = t.learner_no, t.id_number[-6:].upper()
    engine.dispose()
    cli.login_teacher(learner_no, first)
    return Me(learner_no, TEACHER_PASSWORD)


def test_me_courses_lists_the_market_with_recommendations_and_hours(cli: Cli, me: Me) -> None:
    doc = cli.json("me", "courses")
    assert doc["period"] == "2601"
    assert {i["course_code"] for i in doc["items"]} == {
        "M01",
        "G00",
        "G01",
        "G02",
        "G03",
        "G04",
        "G05",
        "AB01",
    }
    assert doc["total"] == 8
    rec = [c["course_code"] for c in doc["recommended"]]
    assert 5 <= len(rec) <= 8 and rec[0] == "M01"
    assert doc["hours"]["required_hours"] == "72" and doc["hours"]["missing_hours"] == "72"
    assert doc["items"][0]["fee"] == "120.00"
    filtered = cli.json("me", "courses", "--level", "提升工程")
    assert [i["course_code"] for i in filtered["items"]] == ["AB01"]
    human = cli.run("me", "courses")
    assert "推荐课程" in human.stderr and "M01" in human.stdout


def pilot(cli: Cli, districts: list[str], subjects: list[str]) -> None:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        s.add(AbilityConfig(period="2601", districts=districts, subjects=subjects, updated_at=NOW))
        s.commit()
    engine.dispose()


def test_me_enroll_selects_courses_but_never_an_ability_project_course(cli: Cli, me: Me) -> None:
    pilot(cli, ["440104"], ["数学"])
    refused = cli.run("me", "enroll", "M01", "AB01", code=5)
    assert "jjadmin ability confirm" in refused.stderr
    doc = cli.json("me", "enroll", "M01")
    assert (doc["ok"], doc["created"]) == (True, 1)
    again = cli.json("me", "enroll", "M01")
    assert (again["created"], again["skipped"]) == (0, 1)
    mine = cli.json("me", "courses", "--mine")
    assert [i["course_code"] for i in mine["items"]] == ["M01"]
    assert all(i["selected"] for i in mine["items"])


def test_能力提升工程_outside_the_pilot_me_enroll_of_an_ability_course_exits_5(
    cli: Cli, me: Me
) -> None:
    unset = cli.run("me", "enroll", "AB01", code=5)
    assert "只对试点区、试点学科的教师开放" in unset.stderr and "未设置" in unset.stderr
    pilot(cli, ["440105"], ["数学"])
    elsewhere = cli.run("me", "enroll", "AB01", "M01", code=5)
    assert "试点区：440105" in elsewhere.stderr
    assert cli.json("me", "courses", "--mine")["total"] == 0


def test_me_enroll_reports_a_full_course(cli: Cli, me: Me) -> None:
    result = cli.run("me", "enroll", "FULL", code=1)
    assert "课程 FULL 剩余名额 0，本次需 1" in result.stderr
    result = cli.run("me", "enroll", "D105", code=1)
    assert "只对本区教师开放" in result.stderr


def test_me_drop_works_inside_the_window_only(cli: Cli, me: Me) -> None:
    cli.json("me", "enroll", "G00", "G01")
    doc = cli.json("me", "drop", "G00")
    assert (doc["course_code"], doc["state"]) == ("G00", "dropped")
    cli.set_now(AFTER_WINDOW)
    cli.login(me.learner_no, me.password)
    result = cli.run("me", "drop", "G01", "--period", "2601", code=5)
    assert "不在选课时间内" in result.stderr
    result = cli.run("me", "enroll", "G02", "--period", "2601", code=5)
    assert "不在选课时间内" in result.stderr


def test_me_hours_sums_the_year(cli: Cli, me: Me) -> None:
    cli.json("me", "enroll", "M01")
    doc = cli.json("me", "hours")
    ledger = {k: doc.pop(k) for k in ("learner_no", "name", "items", "total")}
    assert doc == {
        "year": 2026,
        "required_hours": "72",
        "earned_hours": "0",
        "enrolled_hours": "24",
        "missing_hours": "48",
        "by_type": {},
    }
    assert ledger == {
        "learner_no": me.learner_no,
        "name": ledger["name"],
        "items": [],
        "total": "0",
    }


def test_me_commands_refuse_an_administrator(cli: Cli) -> None:
    result = cli.run("me", "courses", code=3)
    assert "不是学员账号" in result.stderr or "无权" in result.stderr
    cli.run("me", "enroll", "M01", "--period", "2601", code=3)
