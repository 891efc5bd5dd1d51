"""`jjadmin period close` (cron) and `jjadmin special-user …` end to end (SQLite file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jjadmin.db import make_engine, session_factory
from tests.conftest import Cli
from tests.helpers_billing import City, build_city, pdf_text

AFTER_SELECTION = "2026-04-01T10:00:00+08:00"
AFTER_DEADLINE = "2026-04-16T02:00:00+08:00"
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def city(cli: Cli) -> City:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        c = build_city(s)
    engine.dispose()
    cli.add_account("cron", "system", mobile="13900139004")
    cli.add_account("sa1", "school", "--school", "4401040001", mobile="13900139002")
    cli.add_account("yx", "district", "--district", "440104", mobile="13900139005")
    cli.set_now(AFTER_SELECTION)
    cli.login("admin")
    cli.json("bill", "generate", "--period", "2601")
    return c


def cron_token(cli: Cli) -> str:
    token = cli.json("account", "token", "cron")["token"]
    assert isinstance(token, str)
    return token


def closed(cli: Cli) -> None:
    cli.set_now(AFTER_DEADLINE)
    cli.login("admin")
    cli.json("period", "close", "2601")


def test_the_cron_close_prints_one_json_line_and_is_idempotent(cli: Cli, city: City) -> None:
    token = cron_token(cli)
    cli.set_now(AFTER_DEADLINE)
    env = {"JJADMIN_TOKEN": token}
    first = cli.run("period", "close", "2601", "--json", env=env)
    assert first.stdout.count("\n") == 1
    assert json.loads(first.stdout) == {
        "period": "2601",
        "flagged": 3,
        "already_flagged": 0,
        "enrollments": 5,
        "level": "全员培训",
        "district_code": None,
        "dry_run": False,
    }
    again = json.loads(cli.run("period", "close", "2601", "--json", env=env).stdout)
    assert (again["flagged"], again["already_flagged"], again["enrollments"]) == (0, 3, 0)


def test_what_cron_sees_when_the_close_comes_too_early(cli: Cli, city: City) -> None:
    token = cron_token(cli)
    result = cli.run("period", "close", "2601", "--json", env={"JJADMIN_TOKEN": token}, code=5)
    assert json.loads(result.stdout) == {
        "ok": False,
        "error": {
            "code": "conflict",
            "message": "2601 期缴费截止时间（2026-04-15 23:59）未到，不能结算",
            "hint": "缴费截止后再运行 jjadmin period close",
        },
    }
    assert "错误：2601 期缴费截止时间" in result.stderr


def test_a_dry_run_close_and_a_district_close_in_human_words(cli: Cli, city: City) -> None:
    cli.set_now(AFTER_DEADLINE)
    cli.login("yx")
    dry = cli.run("period", "close", "2601", "--level", "区级培训", "--dry-run")
    assert "试运行" in dry.stdout and "将新增特殊用户 1 名" in dry.stdout
    assert cli.json("special-user", "list")["total"] == 0
    cli.run("period", "close", "2601", code=3)


def test_list_and_history_carry_the_spec_keys(cli: Cli, city: City) -> None:
    closed(cli)
    doc = cli.json("special-user", "list", "--school", "4401060001")
    assert doc["total"] == 1
    item = doc["items"][0]
    assert {
        k: item[k] for k in ("learner_no", "name", "school_code", "period", "times", "cleared")
    } == {
        "learner_no": city.t3.learner_no,
        "name": "王三",
        "school_code": "4401060001",
        "period": "2601",
        "times": 1,
        "cleared": False,
    }
    history = cli.json("special-user", "history", city.t3.learner_no)
    assert history["learner_no"] == city.t3.learner_no
    (flag,) = history["items"]
    assert {k: flag[k] for k in ("period", "cleared_at", "times", "enrollments")} == {
        "period": "2601",
        "cleared_at": None,
        "times": 1,
        "enrollments": ["C1", "C2"],
    }
    assert flag["flagged_at"] == "2026-04-16T02:00:00+08:00"
    cli.login("sa1")
    assert cli.json("special-user", "list")["total"] == 2
    cli.run("special-user", "history", city.t3.learner_no, code=3)


def test_clear_reports_each_bad_input_with_its_exit_code(
    cli: Cli, city: City, tmp_path: Path
) -> None:
    closed(cli)
    no = city.t3.learner_no
    assert "--evidence" in cli.run("special-user", "clear", no, code=2).stderr
    assert cli.run("special-user", "clear", code=2).stderr
    fake = tmp_path / "盖章.pdf"
    fake.write_text("not a pdf", encoding="utf-8")
    bad = cli.run(
        "special-user", "clear", no, "--evidence", "持证", "--seal-proof", str(fake), code=1
    )
    assert "不是 PDF、JPG、PNG 文件" in bad.stderr
    doc = cli.json("special-user", "clear", no, "--evidence", "本人持有效证件到中心办理")
    assert (doc["flags"], doc["voided"], doc["periods"]) == (1, 2, ["2601"])
    again = cli.run("special-user", "clear", no, "--evidence", "持证", code=5)
    assert "不是特殊用户" in again.stderr
    cli.login("sa1")
    cli.run("special-user", "clear", city.t2.learner_no, "--evidence", "持证", code=3)
    history = cli.json("special-user", "history", city.t2.learner_no)
    assert history["items"][0]["cleared"] is False


def test_the_counter_clerk_is_walked_through_a_clearing(
    cli: Cli, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jjadmin.commands import _prompt

    closed(cli)
    answers = iter([city.t2.id_number, "本人持身份证到中心办理"])
    asked: list[str] = []

    def ask_text(message: str, **_: Any) -> str:
        asked.append(message)
        return next(answers)

    confirmed: list[str] = []
    monkeypatch.setattr(_prompt, "interactive", lambda: True)
    monkeypatch.setattr(_prompt, "ask_text", ask_text)
    monkeypatch.setattr(_prompt, "confirm", lambda message, yes: confirmed.append(message))
    result = cli.run("special-user", "clear")
    assert asked == ["学号或身份证号：", "凭证说明："]
    assert confirmed == [f"确认取消 李二（{city.t2.learner_no}）的特殊用户？"]
    assert "已取消 李二" in result.stdout and "每次列入与取消" in result.stderr
    history = cli.json("special-user", "history", city.t2.learner_no)
    assert (history["is_special"], history["items"][0]["evidence"]) == (
        False,
        "本人持身份证到中心办理",
    )


def test_a_school_clears_collectively_from_its_own_filled_form(
    cli: Cli, city: City, tmp_path: Path
) -> None:
    closed(cli)
    cli.verify()
    form = tmp_path / "附表2.xlsx"
    doc = cli.json(
        "special-user", "form", "collective", "--school", "4401040001", "--out", str(form)
    )
    assert doc["teachers"] == 2
    proof = tmp_path / "申请.pdf"
    proof.write_bytes(PDF)
    missing = cli.run(
        "special-user", "clear", "--file", str(form), "--school", "4401040001", code=2
    )
    assert "--seal-proof" in missing.stderr
    cleared = cli.json(
        "special-user",
        "clear",
        "--file",
        str(form),
        "--school",
        "4401040001",
        "--seal-proof",
        str(proof),
    )
    assert (cleared["ok"], cleared["updated"], cleared["voided"]) == (True, 2, 3)
    assert cli.json("special-user", "list", "--state", "open")["total"] == 1
    batch = cli.json("batch", "show", str(cleared["batch_id"]))
    assert batch["kind"] == "special_user_clear"


def test_the_forms_are_files_that_need_the_sms_verification(
    cli: Cli, city: City, tmp_path: Path
) -> None:
    closed(cli)
    out = tmp_path / "附表1.pdf"
    cli.run("special-user", "form", "individual", city.t1.learner_no, "--out", str(out), code=3)
    assert not out.exists()
    cli.verify()
    doc = cli.json("special-user", "form", "individual", city.t1.learner_no, "--out", str(out))
    assert doc["courses"] == 2
    text = pdf_text(out)
    for expected in (
        "个人取消特殊用户申请表",
        "张一",
        city.t1.id_number,
        "越秀一小",
        "课程C2",
        "学员须知",
    ):
        assert expected in text
    xlsx = tmp_path / "附表1.xlsx"
    cli.json("special-user", "form", "individual", city.t1.learner_no, "--out", str(xlsx))
    cli.run("special-user", "form", "individual", city.t1.learner_no, "--out", str(xlsx), code=5)
    cli.run(
        "special-user",
        "form",
        "individual",
        city.t1.learner_no,
        "--out",
        str(tmp_path / "a.doc"),
        code=1,
    )
