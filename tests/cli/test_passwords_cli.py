"""`teacher passwd-reset`, `me passwd`, `account passwd-reset|enable|profile`, `db init` on an
initialised database, `db recover-admin` — end to end."""

from __future__ import annotations

import json

from jjadmin.db import make_engine, session_factory
from tests.conftest import TEACHER_PASSWORD, Cli
from tests.factories import make_school, make_teacher


def _teacher(cli: Cli) -> tuple[str, str]:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        school = make_school(s, "4401040001", "440104")
        t = make_teacher(s, school)
        s.commit()
        found = (t.learner_no, t.id_number[-6:].upper())
    engine.dispose()
    return found


def test_a_reset_password_shown_once_must_be_replaced_at_the_next_login(cli: Cli) -> None:
    no, first = _teacher(cli)
    cli.add_account("s01", "school", "--school", "4401040001")
    cli.login("s01")
    doc = cli.json("teacher", "passwd-reset", no, "--show")
    assert doc["learner_no"] == no and len(doc["password"]) == 10
    assert cli.outbox.messages() == []  # shown, not texted

    login = cli.json("login", no, "--password-stdin", input=doc["password"] + "\n")
    assert login["must_change_password"] is True
    refused = cli.json("me", "show", code=3)
    assert refused["error"]["code"] == "password-change-required"
    assert cli.json("whoami")["must_change_password"] is True
    cli.run("me", "passwd", "--password-stdin", input=f"{doc['password']}\n{TEACHER_PASSWORD}\n")
    assert cli.json("me", "show")["learner_no"] == no
    cli.login(no, TEACHER_PASSWORD)  # and the new password is the one that works
    assert cli.json("whoami")["must_change_password"] is False
    assert first not in json.dumps(cli.outbox.messages())


def test_a_reset_without_show_is_texted_to_the_teachers_bound_mobile(cli: Cli) -> None:
    no, _first = _teacher(cli)
    result = cli.run("teacher", "passwd-reset", no)
    assert "已发送到" in result.stdout and "****" in result.stdout
    (sms,) = cli.outbox.messages()
    assert "密码已重置为" in sms["text"] and sms["code"] is None


def test_the_first_login_says_the_password_must_be_changed(cli: Cli) -> None:
    no, first = _teacher(cli)
    result = cli.run("login", no, "--password-stdin", input=first + "\n")
    assert "初始密码" in result.stderr and "jjadmin me passwd" in result.stderr
    cli.run("me", "courses", code=3)


def test_an_admin_account_is_reset_enabled_and_edits_its_profile(cli: Cli) -> None:
    cli.add_account("yx", "district", "--district", "440104")
    cli.run("account", "disable", "yx")
    cli.run("account", "enable", "yx")
    assert "未停用" in cli.run("account", "enable", "yx", code=5).stderr
    shown = cli.json("account", "passwd-reset", "yx", "--show")
    cli.login("yx", shown["password"])
    cli.run("account", "list", code=3)
    cli.run("account", "passwd", "--password-stdin", input=f"{shown['password']}\nNewPassw0rd\n")
    profile = cli.json("account", "profile", "--phone", "020-83480247", "--gender", "男")
    assert (profile["username"], profile["phone"], profile["gender"]) == (
        "yx",
        "020-83480247",
        "男",
    )
    assert cli.json("account", "profile")["phone"] == "020-83480247"
    assert "性别" in cli.run("account", "profile", "--gender", "x", code=1).stderr


def test_db_init_with_another_admin_on_an_initialised_database_exits_5(cli: Cli) -> None:
    again = cli.run(
        "db", "init", "--admin", "admin", "--password-stdin", input="Passw0rd!\n"
    )  # the same admin: idempotent
    assert again.exit_code == 0
    other = cli.run(
        "db", "init", "--admin", "admin2", "--password-stdin", input="Passw0rd!\n", code=5
    )
    assert "未创建 admin2" in other.stderr and "account add" in other.stderr


def test_the_database_owner_recovers_the_locked_city_admin_without_logging_in(cli: Cli) -> None:
    for _ in range(10):
        cli.run("login", "admin", "--password-stdin", input="Wrong0pass\n", code=3)
    cli.run("logout")
    locked = cli.run("login", "admin", "--password-stdin", input="Passw0rd!\n", code=3)
    assert "已锁定" in locked.stderr
    doc = cli.json("db", "recover-admin", "admin", "--password-stdin", input="Rec0vered!\n")
    assert (doc["username"], doc["unlocked"]) == ("admin", True)
    cli.login("admin", "Rec0vered!")
    actions = [
        i["action"] for i in cli.json("audit", "list", "--action", "account.recover")["items"]
    ]
    assert actions == ["account.recover"]
