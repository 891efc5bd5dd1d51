"""`jjadmin login | logout | whoami` and JJADMIN_TOKEN (SPEC §3)."""

from __future__ import annotations

import json
import stat

from tests.conftest import Cli


def test_login_stores_a_private_session_file_and_whoami_reads_it(cli: Cli) -> None:
    session_file = cli.tmp / "session.json"
    mode = stat.S_IMODE(session_file.stat().st_mode)
    assert mode == 0o600
    saved = json.loads(session_file.read_text("utf-8"))
    assert saved["username"] == "admin" and len(saved["token"]) > 30
    who = cli.json("whoami")
    assert (who["username"], who["name"], who["role"]) == ("admin", "市管理员", "city")
    human = cli.run("whoami").stdout
    assert "市级培训中心管理员" in human


def test_the_session_expires_after_eight_hours(cli: Cli) -> None:
    cli.set_now("2026-03-15T17:59:00+08:00")
    cli.run("whoami")
    cli.set_now("2026-03-15T18:00:01+08:00")
    result = cli.run("whoami", code=3)
    assert "登录已过期" in result.stderr
    assert "jjadmin login" in result.stderr


def test_logout_ends_the_session(cli: Cli) -> None:
    token = json.loads((cli.tmp / "session.json").read_text("utf-8"))["token"]
    cli.run("logout")
    assert not (cli.tmp / "session.json").exists()
    cli.run("whoami", code=3)
    # the token itself is revoked, not only forgotten locally
    cli.run("whoami", code=3, env={"JJADMIN_TOKEN": token})
    cli.run("logout")  # logging out twice is fine


def test_a_wrong_password_is_exit_3_and_ten_lock_the_account(cli: Cli) -> None:
    cli.add_account("yx", "district", "--district", "440104")
    nobody = cli.run("login", "nobody", "--password-stdin", input="Wrong0pass\n", code=3)
    for _ in range(9):
        result = cli.run("login", "yx", "--password-stdin", input="Wrong0pass\n", code=3)
        assert "连续 10 次输错密码将锁定账号" in result.stderr
        assert result.stderr == nobody.stderr  # a wrong user gets the very same answer
    result = cli.run("login", "yx", "--password-stdin", input="Wrong0pass\n", code=3)
    assert "已锁定" in result.stderr
    assert "市级培训中心管理员" in result.stderr
    doc = cli.json("login", "yx", "--password-stdin", input="Passw0rd!\n", code=3)
    assert doc["error"]["code"] == "account-locked"
    assert "account unlock" in doc["error"]["hint"]

    cli.login("admin")
    cli.run("account", "unlock", "yx")
    cli.login("yx")
    assert cli.json("whoami")["username"] == "yx"
    actions = [r["action"] for r in cli.json("audit", "list", "--actor", "yx")["items"]]
    assert "account.lock" in actions and "auth.login" in actions


def test_a_success_before_the_tenth_failure_resets_the_counter(cli: Cli) -> None:
    cli.add_account("yx", "district", "--district", "440104")
    for _ in range(9):
        cli.run("login", "yx", "--password-stdin", input="Wrong0pass\n", code=3)
    cli.login("yx")
    for _ in range(9):
        cli.run("login", "yx", "--password-stdin", input="Wrong0pass\n", code=3)
    cli.login("yx")


def test_an_account_token_is_the_identity_for_cron(cli: Cli) -> None:
    cli.add_account("cron", "system")
    doc = cli.json("account", "token", "cron", "--days", "30")
    assert doc["username"] == "cron" and doc["token"].startswith("jj_")
    assert doc["expires_at"].startswith("2026-04-14T10:00:00")
    cli.run("logout")
    who = json.loads(cli.run("whoami", "--json", env={"JJADMIN_TOKEN": doc["token"]}).stdout)
    assert (who["username"], who["role"]) == ("cron", "system")
    cli.set_now("2026-04-14T10:00:01+08:00")
    cli.run("whoami", code=3, env={"JJADMIN_TOKEN": doc["token"]})


def test_the_human_token_output_is_the_bare_token_on_stdout(cli: Cli) -> None:
    cli.add_account("cron", "system")
    result = cli.run("account", "token", "cron")
    token = result.stdout.strip()
    assert token.startswith("jj_") and "\n" not in token
    assert "只显示这一次" in result.stderr
    cli.run("whoami", env={"JJADMIN_TOKEN": token})


def test_a_disabled_account_cannot_log_in(cli: Cli) -> None:
    cli.add_account("yx", "district", "--district", "440104")
    cli.run("account", "disable", "yx")
    result = cli.run("login", "yx", "--password-stdin", input="Passw0rd!\n", code=3)
    assert "已停用" in result.stderr
