"""`jjadmin special-training apply/review/list/show` and `me apply` end to end (SQLite file)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import update

from jjadmin.db import make_engine, session_factory
from jjadmin.models import Course
from tests.conftest import Cli
from tests.factories import id_number, make_school, make_teacher
from tests.helpers_courses import make_course, make_period

CENTRE = "广州市教师继续教育指导中心"


@dataclass
class Data:
    learners: list[str]  # school A
    first_passwords: list[str]


@pytest.fixture
def data(cli: Cli) -> Data:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        a = make_school(s, "4401040001", "440104")
        make_school(s, "4401050001", "440105")
        idents = [id_number(seq=8800 + n) for n in range(2)]
        ts = [make_teacher(s, a, id_number=i) for i in idents]
        p = make_period(s)
        make_course(s, p, "ZX01", level="专项培训", charging_unit=CENTRE, capacity=5)
        make_course(s, p, "C001")
        s.execute(update(Course).where(Course.code == "ZX01").values(name="骨干教师专项培训"))
        s.commit()
        result = Data([t.learner_no for t in ts], [i[-6:] for i in idents])
    engine.dispose()
    cli.add_account("sa", "school", "--school", "4401040001")
    cli.add_account("yx", "district", "--district", "440104")
    cli.add_account("hz", "district", "--district", "440105")
    cli.add_account("centre", "institution", "--institution", CENTRE)
    return result


def review(cli: Cli, who: str, app_id: int, *extra: str, code: int = 0) -> dict:  # type: ignore[type-arg]
    cli.login(who)
    doc = cli.json("special-training", "review", str(app_id), *extra, code=code)
    assert isinstance(doc, dict)
    return doc


def test_a_teacher_applies_and_three_approvals_enroll_them(cli: Cli, data: Data) -> None:
    cli.login_teacher(data.learners[0], data.first_passwords[0])
    human = cli.run("me", "apply", "ZX01", "--note", "符合参训条件")
    app_id = int(human.stdout.strip())
    assert "待学校审核" in human.stderr
    mine = cli.json("special-training", "list")
    assert [
        {k: i[k] for k in ("id", "learner_no", "course_code", "state")} for i in mine["items"]
    ] == [
        {"id": app_id, "learner_no": data.learners[0], "course_code": "ZX01", "state": "待学校审核"}
    ]
    assert review(cli, "sa", app_id, "--approve")["state"] == "待区审核"
    assert review(cli, "yx", app_id, "--approve")["state"] == "待机构审核"
    done = review(cli, "centre", app_id, "--approve")
    assert done["state"] == "已通过"
    assert [(r["stage"], r["decision"], r["reviewer"]) for r in done["reviews"]] == [
        ("school", "通过", "sa"),
        ("district", "通过", "yx"),
        ("institution", "通过", "centre"),
    ]
    cli.login("admin")
    items = cli.json("enroll", "list", "--period", "2601", "--course", "ZX01")["items"]
    assert [(i["learner_no"], i["state"]) for i in items] == [(data.learners[0], "active")]
    shown = cli.run("special-training", "show", str(app_id))
    assert "审核记录" in shown.stderr and "机构审核" in shown.stdout


def test_a_rejection_at_the_district_ends_the_application(cli: Cli, data: Data) -> None:
    cli.login("sa")
    doc = cli.json("special-training", "apply", "ZX01", "--teacher", data.learners[1])
    app_id = doc["id"]
    assert set(doc) == {"id"}
    review(cli, "sa", app_id, "--approve")
    cli.login("hz")
    outside = cli.run("special-training", "review", str(app_id), "--approve", code=3)
    assert "无权访问" in outside.stderr
    cli.login("yx")
    missing = cli.run("special-training", "review", str(app_id), "--reject", code=2)
    assert "原因" in missing.stderr
    rejected = review(cli, "yx", app_id, "--reject", "--reason", "名额已分配完")
    assert (rejected["state"], rejected["reason"]) == ("未通过", "名额已分配完")
    late = cli.run("special-training", "review", str(app_id), "--approve", code=5)
    assert "已审核完毕" in late.stderr
    listed = cli.json("special-training", "list", "--state", "未通过")
    assert [i["id"] for i in listed["items"]] == [app_id]
    assert cli.json("special-training", "list", "--state", "待区审核")["total"] == 0


def test_reviewing_out_of_order_or_twice_exits_5(cli: Cli, data: Data) -> None:
    cli.login("sa")
    app_id = cli.json("special-training", "apply", "ZX01", "--teacher", data.learners[0])["id"]
    cli.login("centre")
    early = cli.run("special-training", "review", str(app_id), "--approve", code=5)
    assert "须在学校审核通过之后" in early.stderr
    review(cli, "sa", app_id, "--approve")
    twice = cli.run("special-training", "review", str(app_id), "--approve", code=5)
    assert "不能重复审核" in twice.stderr
    cli.run("special-training", "review", str(app_id), "--approve", "--reject", code=2)


def test_special_training_is_never_selected_directly(cli: Cli, data: Data) -> None:
    cli.login("sa")
    added = cli.run(
        "enroll",
        "add",
        "--period",
        "2601",
        "--course",
        "ZX01",
        "--teachers",
        data.learners[0],
        code=5,
    )
    assert "专项培训" in added.stderr and "special-training apply" in added.stderr
    cli.login_teacher(data.learners[1], data.first_passwords[1])
    selected = cli.run("me", "enroll", "ZX01", code=5)
    assert "me apply" in selected.stderr
    not_special = cli.run("me", "apply", "C001", code=5)
    assert "不是专项培训项目" in not_special.stderr


def test_show_and_list_respect_the_scope(cli: Cli, data: Data) -> None:
    cli.login("sa")
    app_id = cli.json("special-training", "apply", "ZX01", "--teacher", data.learners[0])["id"]
    cli.login("hz")
    cli.run("special-training", "show", str(app_id), code=3)
    assert cli.json("special-training", "list")["total"] == 0
    cli.run("special-training", "show", "999", code=4)
    cli.login("yx")
    assert cli.json("special-training", "show", str(app_id))["state"] == "待学校审核"
    human = cli.run("special-training", "list")
    assert "骨干教师专项培训" in human.stdout and data.learners[0] in human.stdout
