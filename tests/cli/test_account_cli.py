"""`jjadmin account add/list/disable/unlock/passwd/phone/token` and scope (SPEC §3)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cli
from tests.helpers_school import school_row, write_csv


@pytest.fixture
def two_districts(cli: Cli) -> Cli:
    """Schools 4401040001 (越秀 一小) and 4401060001 (天河 秘密学校), with their admins."""
    path = write_csv(
        cli.tmp / "schools.csv",
        [
            school_row("4401040001", 学校名称="越秀一小"),
            school_row("4401060001", district="440106", 学校名称="天河秘密学校"),
        ],
    )
    cli.run("school", "import", str(path))
    cli.add_account("yx", "district", "--district", "440104")
    cli.add_account("th", "district", "--district", "440106")
    cli.add_account("yx1", "school", "--school", "4401040001")
    cli.add_account("th1", "school", "--school", "4401060001")
    return cli


def _audit(cli: Cli, action: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = cli.json("audit", "list", "--action", action)["items"]
    return items


def test_account_add_creates_a_real_name_account_and_audits_it(cli: Cli) -> None:
    cli.run(
        "account",
        "add",
        "yx",
        "--role",
        "district",
        "--name",
        "李四",
        "--mobile",
        "139-0013-9001",
        "--district",
        "440104",
        "--password-stdin",
        input="Passw0rd!\n",
    )
    items = cli.json("account", "list")["items"]
    row = next(i for i in items if i["username"] == "yx")
    assert row == {
        "username": "yx",
        "role": "district",
        "name": "李四",
        "mobile": "139****9001",
        "district_code": "440104",
        "school_code": None,
        "institution": None,
        "disabled": False,
        "locked": False,
        "created_at": "2026-03-15T10:00:00+08:00",
    }
    (entry,) = _audit(cli, "account.add")[:1]
    assert (entry["actor"], entry["target"]) == ("admin", "yx")
    assert entry["after"]["mobile"] == "139****9001"


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (("--name", " ", "--mobile", "13900139000"), 1, "实名"),
        (("--name", "张三", "--mobile", "1234"), 1, "手机"),
    ],
)
def test_account_add_rejects_bad_input(
    cli: Cli, extra: tuple[str, ...], code: int, message: str
) -> None:
    result = cli.run(
        "account",
        "add",
        "bad",
        "--role",
        "city",
        *extra,
        "--password-stdin",
        input="Passw0rd!\n",
        code=code,
    )
    assert message in result.stderr
    assert "bad" not in {i["username"] for i in cli.json("account", "list")["items"]}


def test_a_weak_password_is_rejected(cli: Cli) -> None:
    result = cli.run(
        "account",
        "add",
        "weak",
        "--role",
        "city",
        "--name",
        "张三",
        "--mobile",
        "13900139000",
        "--password-stdin",
        input="12345678\n",
        code=1,
    )
    assert "字母和数字" in result.stderr


def test_a_district_admin_cannot_create_a_city_account_or_another_districts_admin(
    two_districts: Cli,
) -> None:
    cli = two_districts
    cli.login("yx")
    result = cli.run(
        "account",
        "add",
        "boss2",
        "--role",
        "city",
        "--name",
        "张三",
        "--mobile",
        "13900139000",
        "--password-stdin",
        input="Passw0rd!\n",
        code=3,
    )
    assert "只有市级管理员" in result.stderr
    result = cli.run(
        "account",
        "add",
        "th2",
        "--role",
        "school",
        "--name",
        "张三",
        "--mobile",
        "13900139000",
        "--school",
        "4401060001",
        "--password-stdin",
        input="Passw0rd!\n",
        code=3,
    )
    assert "无权访问" in result.stderr
    assert "天河秘密学校" not in result.stderr + result.stdout
    cli.add_account("yx2", "school", "--school", "4401040001")
    assert {i["username"] for i in cli.json("account", "list")["items"]} == {"yx", "yx1", "yx2"}


def test_a_school_admin_manages_only_its_own_school(two_districts: Cli) -> None:
    cli = two_districts
    cli.login("yx1")
    cli.add_account("yx1b", "school", "--school", "4401040001")
    result = cli.run(
        "account",
        "add",
        "spy",
        "--role",
        "school",
        "--name",
        "张三",
        "--mobile",
        "13900139000",
        "--school",
        "4401060001",
        "--password-stdin",
        input="Passw0rd!\n",
        code=3,
    )
    assert "天河秘密学校" not in result.stderr + result.stdout
    assert cli.run("account", "disable", "th1", code=3).stderr.startswith("错误：无权访问")
    assert {i["username"] for i in cli.json("account", "list")["items"]} == {"yx1", "yx1b"}


def test_a_school_admin_cannot_read_or_change_another_school(two_districts: Cli) -> None:
    cli = two_districts
    cli.login("yx1")
    for args in (
        ("school", "show", "4401060001"),
        ("school", "set", "4401060001", "--seal-name", "篡改"),
    ):
        result = cli.run(*args, code=3)
        assert "无权访问" in result.stderr
        assert "天河秘密学校" not in result.stdout + result.stderr
    assert [s["school_code"] for s in cli.json("school", "list")["items"]] == ["4401040001"]
    cli.login("yx")
    result = cli.run("school", "show", "4401060001", "--json", code=3)
    assert "天河秘密学校" not in result.stdout + result.stderr
    cli.login("admin")
    assert cli.json("school", "show", "4401060001")["seal_name"] == "广州市测试学校0001"


def test_disable_and_unlock_write_audit_rows(two_districts: Cli) -> None:
    cli = two_districts
    cli.run("account", "disable", "th1")
    assert cli.run("account", "disable", "th1", code=5).stderr.startswith("错误：账号已停用")
    assert cli.run("account", "unlock", "yx1", code=5).stderr.startswith("错误：账号未被锁定")
    cli.run("account", "disable", "nobody", code=4)
    (entry,) = _audit(cli, "account.disable")
    assert (entry["target"], entry["before"], entry["after"]) == (
        "th1",
        {"disabled": False},
        {"disabled": True},
    )
    assert next(i for i in cli.json("account", "list")["items"] if i["username"] == "th1")[
        "disabled"
    ]


def test_passwd_needs_the_old_password(cli: Cli) -> None:
    result = cli.run(
        "account", "passwd", "--password-stdin", input="Wrong0pass\nNewPassw0rd\n", code=3
    )
    assert "原密码错误" in result.stderr
    cli.run("account", "passwd", "--password-stdin", input="Passw0rd!\nNewPassw0rd\n")
    cli.run("login", "admin", "--password-stdin", input="Passw0rd!\n", code=3)
    cli.login("admin", "NewPassw0rd")
    assert _audit(cli, "account.passwd")[0]["target"] == "admin"


def test_phone_rebinding_sends_a_code_to_the_new_number_and_confirms_it(cli: Cli) -> None:
    sent = cli.json("account", "phone", "137 0013 7000")
    assert (sent["mobile"], sent["confirmed"]) == ("137****7000", False)
    message = cli.outbox.messages()[-1]
    assert message["to"] == "13700137000"
    result = cli.run("account", "phone", "13700137000", "--code", "000000", code=None)
    if message["code"] != "000000":
        assert result.exit_code == 3 and "验证码错误" in result.stderr
    cli.run("account", "phone", "13700137000", "--code", message["code"])
    cli.run("verify", "send")
    assert cli.outbox.messages()[-1]["to"] == "13700137000"
    (entry,) = _audit(cli, "account.phone")
    assert (entry["before"], entry["after"]) == (
        {"mobile": "138****8000"},
        {"mobile": "137****7000"},
    )


def test_a_bad_new_mobile_is_rejected(cli: Cli) -> None:
    result = cli.run("account", "phone", "12345", code=1)
    assert "手机" in result.stderr
    assert cli.outbox.messages() == []
