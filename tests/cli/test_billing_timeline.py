"""The year of one period end to end with JJADMIN_NOW: select → bill → pay part → close →
flagged → cleared → transfer allowed (SQLite file)."""

from __future__ import annotations

from pathlib import Path

from jjadmin.db import make_engine, session_factory
from tests.conftest import Cli
from tests.factories import make_school, make_teacher
from tests.helpers_billing import TV
from tests.helpers_courses import make_course, make_period


def at(cli: Cli, when: str, user: str = "admin") -> None:
    cli.set_now(when)
    cli.login(user)


def test_the_whole_timeline_of_a_period(cli: Cli, tmp_path: Path) -> None:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        a1 = make_school(
            s, "4401040001", "440104", name="越秀一小", seal_name="广州市越秀区第一小学"
        )
        make_school(s, "4401040002", "440104", name="越秀二小")
        b1 = make_school(s, "4401060001", "440106", name="天河一小")
        t1, t2 = make_teacher(s, a1, name="张一"), make_teacher(s, a1, name="李二")
        t3 = make_teacher(s, b1, name="王三")
        p = make_period(s)  # selection 03-01 … 03-31, payment by 04-15
        make_course(s, p, "C1", fee=12000, charging_unit=TV)
        make_course(s, p, "C2", fee=6000, material_fee=2000, charging_unit=TV)
        s.commit()
        learners = (t1.learner_no, t2.learner_no, t3.learner_no)
    engine.dispose()
    cli.add_account("sa1", "school", "--school", "4401040001", mobile="13900139002")
    cli.add_account("sa2", "school", "--school", "4401040002", mobile="13900139003")
    cli.add_account("sb1", "school", "--school", "4401060001", mobile="13900139004")

    # 03-15, selection: each school selects for its teachers
    at(cli, "2026-03-15T10:00:00+08:00", "sa1")
    cli.json("enroll", "add", "--period", "2601", "--teacher", learners[0], "--courses", "C1,C2")
    cli.json("enroll", "add", "--period", "2601", "--teacher", learners[1], "--courses", "C1")
    at(cli, "2026-03-15T10:00:00+08:00", "sb1")
    cli.json("enroll", "add", "--period", "2601", "--teacher", learners[2], "--courses", "C1")
    at(cli, "2026-03-20T10:00:00+08:00")
    assert "选课尚未结束" in cli.run("bill", "generate", "--period", "2601", code=5).stderr

    # 04-01: bills, one per school and unit; the school prints its notice
    at(cli, "2026-04-01T10:00:00+08:00")
    assert cli.json("bill", "generate", "--period", "2601")["amount"] == "440.00"
    bills = {i["school_code"]: i["bill_no"] for i in cli.json("bill", "list")["items"]}
    at(cli, "2026-04-01T10:00:00+08:00", "sa1")
    notice = cli.json("bill", "notice", bills["4401040001"], "--out", str(tmp_path / "n.pdf"))
    assert (notice["payer"], notice["amount_in_words"]) == ("广州市越秀区第一小学", "叁佰贰拾元整")

    # 04-05: only 天河一小 pays
    at(cli, "2026-04-05T10:00:00+08:00")
    cli.json("bill", "pay", bills["4401060001"], "--receipt", "TH-001", "--amount", "120")
    at(cli, "2026-04-10T10:00:00+08:00")
    assert "未到" in cli.run("period", "close", "2601", code=5).stderr

    # 04-16: the close flags the two unpaid teachers of 越秀一小
    at(cli, "2026-04-16T02:00:00+08:00")
    closed = cli.json("period", "close", "2601")
    assert (closed["flagged"], closed["enrollments"]) == (2, 3)
    listed = cli.json("special-user", "list", "--state", "open")["items"]
    assert sorted(i["learner_no"] for i in listed) == sorted(learners[:2])
    teacher = cli.json("teacher", "show", learners[0])
    assert teacher["is_special"] is True

    # 张一 cannot move to 越秀二小 while flagged; a special user cannot select either
    at(cli, "2026-04-20T10:00:00+08:00", "sa2")
    blocked = cli.run("transfer", "request", learners[0], "--to", "4401040002", code=5)
    assert "特殊用户" in blocked.stderr

    # at the centre's counter the flag is cleared on the teacher's ID; the move is allowed
    at(cli, "2026-04-20T10:00:00+08:00")
    cleared = cli.json(
        "special-user", "clear", learners[0], "--evidence", "本人持有效证件到中心办理"
    )
    assert (cleared["voided"], cleared["periods"]) == (2, ["2601"])
    assert cli.json("bill", "show", bills["4401040001"])["amount"] == "120.00"
    at(cli, "2026-04-20T10:00:00+08:00", "sa2")
    transfer = cli.json("transfer", "request", learners[0], "--to", "4401040002")
    assert transfer["id"] > 0
    still = cli.run("transfer", "request", learners[1], "--to", "4401040002", code=5)
    assert "特殊用户" in still.stderr
