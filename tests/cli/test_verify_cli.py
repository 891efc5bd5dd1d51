"""`jjadmin verify send | check CODE` with the file: SMS outbox and JJADMIN_NOW (SPEC §3)."""

from __future__ import annotations

import re

from tests.conftest import Cli


def _verified_until(cli: Cli) -> str | None:
    value: str | None = cli.json("whoami")["verified_until"]
    return value


def test_send_appends_one_json_line_to_the_outbox(cli: Cli) -> None:
    doc = cli.json("verify", "send")
    assert doc == {"ok": True, "mobile": "138****8000", "expires_at": "2026-03-15T10:10:00+08:00"}
    (message,) = cli.outbox.messages()
    assert set(message) == {"to", "text", "code", "at"}
    assert message["to"] == "13800138000"
    assert re.fullmatch(r"\d{6}", message["code"])
    assert message["at"] == "2026-03-15T10:00:00+08:00"


def test_check_verifies_the_session_for_thirty_minutes(cli: Cli) -> None:
    cli.run("verify", "send")
    cli.set_now("2026-03-15T10:05:00+08:00")
    doc = cli.json("verify", "check", cli.outbox.last_code())
    assert doc == {"ok": True, "verified_until": "2026-03-15T10:35:00+08:00"}
    cli.set_now("2026-03-15T10:34:59+08:00")
    assert _verified_until(cli) == "2026-03-15T10:35:00+08:00"
    cli.set_now("2026-03-15T10:35:01+08:00")
    assert _verified_until(cli) is None
    actions = [r["action"] for r in cli.json("audit", "list", "--action", "verify")["items"]]
    assert actions == ["verify.check", "verify.send.verify"]


def test_a_code_expires_at_ten_minutes_and_one_second(cli: Cli) -> None:
    cli.run("verify", "send")
    cli.set_now("2026-03-15T10:10:01+08:00")
    result = cli.run("verify", "check", cli.outbox.last_code(), code=3)
    assert "已过期" in result.stderr and "verify send" in result.stderr
    assert _verified_until(cli) is None


def test_a_code_works_once(cli: Cli) -> None:
    cli.run("verify", "send")
    code = cli.outbox.last_code()
    cli.run("verify", "check", code)
    assert "没有待验证的验证码" in cli.run("verify", "check", code, code=3).stderr


def test_five_wrong_codes_void_it(cli: Cli) -> None:
    cli.run("verify", "send")
    code = cli.outbox.last_code()
    wrong = "000000" if code != "000000" else "999999"
    for _ in range(4):
        assert "验证码错误" in cli.run("verify", "check", wrong, code=3).stderr
    assert "已作废" in cli.run("verify", "check", wrong, code=3).stderr
    assert "已失效" in cli.run("verify", "check", code, code=3).stderr


def test_a_resend_voids_the_previous_code(cli: Cli) -> None:
    cli.run("verify", "send")
    first = cli.outbox.last_code()
    cli.run("verify", "send")
    second = cli.outbox.last_code()
    assert len(cli.outbox.messages()) == 2
    if first != second:
        assert "已失效" in cli.run("verify", "check", first, code=3).stderr
    cli.run("verify", "check", second)


def test_verification_needs_a_login(cli: Cli) -> None:
    cli.run("logout")
    assert "尚未登录" in cli.run("verify", "send", code=3).stderr
    assert cli.outbox.messages() == []
