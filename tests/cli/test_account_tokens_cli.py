"""`account token --list / --revoke ID`: automation tokens are listed (never their secret),
revoked one by one (audited), and expire (365 days by default)."""

from __future__ import annotations

from tests.conftest import Cli


def test_tokens_are_listed_revoked_one_by_one_and_expire(any_cli: Cli) -> None:
    any_cli.add_account("cron1", "city")
    first = any_cli.json("account", "token", "cron1")
    second = any_cli.json("account", "token", "cron1", "--days", "30")
    assert first["expires_at"].startswith("2027-03-15")  # 365 days by default

    listed = any_cli.json("account", "token", "cron1", "--list")
    items = listed["items"] if isinstance(listed, dict) else listed
    assert [t["state"] for t in items] == ["active", "active"]
    assert first["token"] not in str(listed) and second["token"] not in str(listed)
    newest = items[0]["id"]

    any_cli.json("account", "token", "cron1", "--revoke", str(newest))
    assert any_cli.run("whoami", env={"JJADMIN_TOKEN": second["token"]}, code=3)
    assert any_cli.run("whoami", env={"JJADMIN_TOKEN": first["token"]}, code=0)
    any_cli.run("account", "token", "cron1", "--revoke", str(newest), code=5)
    any_cli.run("account", "token", "admin", "--revoke", str(newest), code=4)  # not admin's token
    audit = any_cli.json("audit", "list", "--action", "account.token.revoke")
    rows = audit["items"] if isinstance(audit, dict) else audit
    assert [r["target"] for r in rows] == [str(newest)]

    any_cli.set_now("2027-03-16T10:00:00+08:00")  # a year and a day later
    any_cli.run("whoami", env={"JJADMIN_TOKEN": first["token"]}, code=3)
    any_cli.set_now("2026-03-15T10:00:00+08:00")
    states = any_cli.json("account", "token", "cron1", "--list")
    states = states["items"] if isinstance(states, dict) else states
    assert [t["state"] for t in states] == ["revoked", "active"]
