"""Notices and complaints on a city's PostgreSQL, each operator connected as its own login
role (row-level security from scope_rules.TABLES): what each unit posts, reads and handles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import Cli, Outbox
from tests.pgcity import PASSWORD, TEACHERS, City, CityDatabase, seeded_city

NOW = "2026-03-15T10:00:00+08:00"
pytestmark = pytest.mark.postgres


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.delenv("JJADMIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("JJADMIN_SESSION_FILE", str(tmp_path / "session.json"))
    monkeypatch.setenv("JJADMIN_SMS", f"file:{tmp_path / 'sms.jsonl'}")
    monkeypatch.setenv("JJADMIN_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("JJADMIN_NOW", NOW)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("JJADMIN_TOKEN", raising=False)
    return Cli(tmp_path, monkeypatch, "", Outbox(tmp_path / "sms.jsonl"))


@pytest.fixture
def city(city_db: CityDatabase, bare: Cli) -> Iterator[tuple[City, Engine]]:
    with seeded_city(city_db) as built:
        bare.monkeypatch.setenv("JJADMIN_PG_ROLE_PREFIX", built[0].prefix)
        yield built


def _as(cli: Cli, url: str, username: str, password: str = PASSWORD) -> Callable[..., Any]:
    cli.run("--db", url, "logout")
    cli.run("--db", url, "login", username, "--password-stdin", input=password + "\n")

    def json(*args: str, code: int = 0) -> Any:
        if code:
            return cli.run("--db", url, *args, "--json", code=code)
        return cli.json("--db", url, *args)

    return json


def test_a_district_posts_schools_read_and_a_complaint_is_handled_through_roles(
    city: tuple[City, Engine], bare: Cli
) -> None:
    c, _ = city
    district = _as(bare, c.role_url("yx"), "yx")
    posted = district("notice", "post", "--title", "区通知", "--body", "b", "--sms")
    assert (posted["recipients"], posted["sms"], posted["sms_failed"]) == (3, 2, 0)
    district("notice", "post", "--title", "t", "--body", "b", "--to", "school:4401050001", code=3)
    other = _as(bare, c.role_url("s_hz1"), "s_hz1")
    assert other("notice", "list")["total"] == 0
    other("notice", "show", str(posted["id"]), code=3)
    school = _as(bare, c.role_url("s_yx1"), "s_yx1")
    assert school("notice", "list", "--unread")["total"] == 1
    assert school("notice", "show", str(posted["id"]))["read"] is True
    assert school("notice", "list", "--unread")["total"] == 0

    admin = _as(bare, c.url(), "admin")  # the city (the owner's connection)
    admin("complaint", "window", "--year", "2026", "--from", "2026-03-01", "--to", "2026-03-31")
    with c.superuser() as su:
        row = su.execute("SELECT id_number FROM teacher WHERE id = %s", (c.teachers["t1"],))
        first = str(row.fetchone()[0])[-6:]  # type: ignore[index]
    learner = TEACHERS["t1"][1]
    bare.run("--db", c.url(), "login", learner, "--password-stdin", input=first + "\n")
    bare.run("--db", c.url(), "me", "passwd", "--password-stdin", input=f"{first}\nTeach3rPass\n")
    filed = bare.json("--db", c.url(), "me", "complaint", "file", "--title", "学时", "--body", "b")

    neighbour = _as(bare, c.role_url("hz"), "hz")
    assert neighbour("complaint", "list")["total"] == 0
    # the other district's role does not even see the row: "not found", as for any id
    neighbour("complaint", "reply", str(filed["id"]), "--text", "x", code=4)
    neighbour("complaint", "show", str(filed["id"]), code=4)
    school = _as(bare, c.role_url("s_yx1"), "s_yx1")
    assert school("complaint", "list")["total"] == 1
    school("complaint", "reply", str(filed["id"]), "--text", "x", code=3)
    district = _as(bare, c.role_url("yx"), "yx")
    assert district("complaint", "reply", str(filed["id"]), "--text", "已核实")["state"] == "已回复"
    assert district("complaint", "close", str(filed["id"]))["state"] == "已关闭"
    stats = _as(bare, c.role_url("s_yx1"), "s_yx1")("complaint", "stats")
    assert [(i["filed"], i["replied"], i["closed"]) for i in stats["items"]] == [(1, 1, 1)]
    assert _as(bare, c.role_url("s_yx2"), "s_yx2")("complaint", "stats")["items"] == []
