"""`jjadmin db init | upgrade | check | backup` and every way a database can be wrong."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect

from jjadmin.db import head_revision, make_engine
from tests.conftest import PG_URL, Cli, Outbox, create_pg_database, drop_pg_database
from tests.helpers_school import school_row, write_csv

ADMIN = ("--admin", "boss", "--name", "市管理员", "--mobile", "13800138000", "--password-stdin")


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI environment of the `cli` fixture, but no database yet and nobody logged in."""
    url = f"sqlite:///{tmp_path / 'jj.db'}"
    monkeypatch.setenv("JJADMIN_DATABASE_URL", url)
    monkeypatch.setenv("JJADMIN_SESSION_FILE", str(tmp_path / "session.json"))
    monkeypatch.setenv("JJADMIN_SMS", f"file:{tmp_path / 'sms.jsonl'}")
    monkeypatch.setenv("JJADMIN_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("JJADMIN_NOW", "2026-03-15T10:00:00+08:00")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("JJADMIN_TOKEN", raising=False)
    return Cli(tmp_path, monkeypatch, url, Outbox(tmp_path / "sms.jsonl"))


def _tables(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_db_init_creates_the_schema_and_the_first_city_admin(bare: Cli) -> None:
    doc = bare.json("db", "init", *ADMIN, input="Passw0rd!\n")
    assert doc["created_admin"] == "boss"
    assert doc["revision"] == head_revision(make_engine(bare.db_url))
    bare.login("boss")
    who = bare.json("whoami")
    assert (who["role"], who["name"]) == ("city", "市管理员")
    (entry,) = bare.json("audit", "list", "--action", "account.add")["items"]
    assert (entry["actor"], entry["target"]) == ("system:init", "boss")


def test_db_init_twice_keeps_one_schema_and_one_admin(bare: Cli) -> None:
    bare.run("db", "init", *ADMIN, input="Passw0rd!\n")
    tables = _tables(bare.db_url)
    doc = bare.json("db", "init", *ADMIN, input="Other0pass\n")
    assert doc["created_admin"] is None
    bare.run("db", "init")  # no --admin needed once an admin exists
    assert _tables(bare.db_url) == tables
    bare.login("boss")
    assert [a["username"] for a in bare.json("account", "list")["items"]] == ["boss"]
    bare.run("login", "boss", "--password-stdin", input="Other0pass\n", code=3)


def test_the_first_init_needs_an_admin_and_a_password(bare: Cli) -> None:
    result = bare.run("db", "init", code=2)
    assert "--admin" in result.stderr
    result = bare.run("db", "init", "--admin", "boss", code=2)
    assert "--password-stdin" in result.stderr
    bare.run("db", "init", *ADMIN, input="Passw0rd!\n")


def test_db_url_precedence_flag_then_environment_then_default(
    bare: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("JJADMIN_DATABASE_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    default = tmp_path / "xdg" / "jjadmin" / "jjadmin.db"
    doc = bare.json("db", "init", *ADMIN, input="Passw0rd!\n")
    assert doc["database"] == f"sqlite:///{default}"
    assert default.is_file()

    monkeypatch.setenv("JJADMIN_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    doc = bare.json("db", "init", *ADMIN, input="Passw0rd!\n")
    assert doc["database"] == f"sqlite:///{tmp_path / 'env.db'}"

    flag = f"sqlite:///{tmp_path / 'flag.db'}"
    doc = bare.json("--db", flag, "db", "init", *ADMIN, input="Passw0rd!\n")
    assert doc["database"] == flag
    assert {"env.db", "flag.db"} <= _files(tmp_path)


def test_db_upgrade_and_check_report_the_head_revision(cli: Cli) -> None:
    head = head_revision(make_engine(cli.db_url))
    assert cli.json("db", "upgrade") == {"ok": True, "revision": head, "previous": head}
    assert cli.json("db", "check") == {
        "ok": True,
        "revision": head,
        "head": head,
        "integrity": "ok",
    }


def test_db_upgrade_needs_a_city_admin(cli: Cli) -> None:
    cli.add_account("yx", "district", "--district", "440104")
    cli.login("yx")
    assert "无权" in cli.run("db", "upgrade", code=3).stderr


def test_a_database_made_by_the_first_release_is_upgraded_by_its_city_admin(
    bare: Cli, tmp_path: Path
) -> None:
    """The actor is read with the first schema's columns while the schema is behind: a column
    added since (e.g. account.must_change_password) cannot stop the upgrade that adds it."""
    from alembic import command
    from sqlalchemy import text

    from jjadmin.db import migrations_config
    from jjadmin.services.context import token_digest

    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}", create=True)
    command.upgrade(migrations_config(engine), "0002")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO district (code, name) VALUES ('440104', '越秀区')"))
        for n, role in ((1, "city"), (2, "district")):
            conn.execute(
                text(
                    "INSERT INTO account (id, username, role, name, disabled, failed_logins,"
                    " district_code, created_at) VALUES (:id, :u, :r, '某人', 0, 0, :d,"
                    " '2026-03-01 00:00:00')"
                ),
                {"id": n, "u": f"old{role}", "r": role, "d": "440104" if n == 2 else None},
            )
            conn.execute(
                text(
                    "INSERT INTO auth_token (token_hash, account_id, kind, created_at, expires_at,"
                    " revoked) VALUES (:h, :a, 'session', '2026-03-01 00:00:00',"
                    " '2026-12-31 00:00:00', 0)"
                ),
                {"h": token_digest(f"tok-{role}"), "a": n},
            )
    engine.dispose()
    url = f"sqlite:///{path}"
    refused = bare.run("--db", url, "db", "upgrade", code=3, env={"JJADMIN_TOKEN": "tok-district"})
    assert "无权升级数据库" in refused.stderr
    bare.run("--db", url, "db", "upgrade", code=3, env={"JJADMIN_TOKEN": "nonsense"})
    result = bare.run("--db", url, "db", "upgrade", "--json", env={"JJADMIN_TOKEN": "tok-city"})
    doc = json.loads(result.stdout)
    assert doc["previous"] == "0002" and doc["revision"] == head_revision(make_engine(url))


def test_db_check_fails_on_an_old_schema(cli: Cli) -> None:
    with sqlite3.connect(cli.tmp / "jj.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0000'")
    result = cli.run("db", "check", code=5)
    assert "不是最新" in result.stderr and "db upgrade" in result.stderr


def test_db_backup_writes_a_restorable_copy(cli: Cli) -> None:
    rows = [school_row(f"44010400{i:02d}") for i in range(1, 6)]
    cli.run("school", "import", str(write_csv(cli.tmp / "s.csv", rows)))
    target = cli.tmp / "backup.db"
    doc = cli.json("db", "backup", str(target))
    assert doc["file"] == str(target) and doc["bytes"] == target.stat().st_size
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM school").fetchone() == (5,)
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # the copy is a working database
    restored = cli.json("--db", f"sqlite:///{target}", "school", "list")
    assert restored["total"] == 5
    assert "已存在" in cli.run("db", "backup", str(target), code=5).stderr
    assert "目录不存在" in cli.run("db", "backup", str(cli.tmp / "no" / "x.db"), code=1).stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "数据库地址格式不正确"),
        ("mysql://root@localhost/jj", "不支持的数据库类型"),
    ],
)
def test_a_malformed_database_url_is_a_usage_error(bare: Cli, url: str, message: str) -> None:
    before = _files(bare.tmp)
    result = bare.run("--db", url, "db", "init", *ADMIN, input="Passw0rd!\n", code=2)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    doc = json.loads(bare.run("--db", url, "school", "list", "--json", code=2).stdout)
    assert doc["error"]["code"] == "usage"
    assert _files(bare.tmp) == before


def test_an_unreachable_postgresql_is_one_clear_line_fast(bare: Cli) -> None:
    started = time.monotonic()
    result = bare.run(
        "--db", "postgresql+psycopg://postgres@127.0.0.1:1/x", "school", "list", code=10
    )
    assert time.monotonic() - started < 10
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "无法连接数据库服务器" in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (bare.tmp / "logs").exists()  # not a bug: no log file


def test_a_missing_database_file_is_not_found_with_a_hint(bare: Cli) -> None:
    result = bare.run("school", "list", code=4)
    assert "数据库文件不存在" in result.stderr and "jjadmin db init" in result.stderr
    assert not (bare.tmp / "jj.db").exists()
    result = bare.run(
        "--db", f"sqlite:///file:{bare.tmp / 'none.db'}?mode=ro&uri=true", "whoami", code=4
    )
    assert "数据库文件不存在" in result.stderr


def test_an_uninitialised_database_says_so(bare: Cli) -> None:
    (bare.tmp / "jj.db").touch()
    for args in (("school", "list"), ("db", "check"), ("login", "boss", "--password-stdin")):
        result = bare.run(*args, input="Passw0rd!\n", code=4)
        assert "数据库尚未初始化" in result.stderr and "jjadmin db init" in result.stderr
    with sqlite3.connect(bare.tmp / "jj.db") as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def test_a_read_only_database_refuses_writes_clearly_and_keeps_reads(cli: Cli) -> None:
    # Tests run as root, where chmod 0444 does not stop writes: open the file read-only.
    ro = f"sqlite:///file:{cli.tmp / 'jj.db'}?mode=ro&uri=true"
    path = write_csv(cli.tmp / "s.csv", [school_row("4401040001")])
    result = cli.run("--db", ro, "school", "import", str(path), code=10)
    assert result.stderr.strip().splitlines() == [
        f"错误：数据库文件只读，无法写入：sqlite:///file%3A{cli.tmp / 'jj.db'}?mode=ro&uri=true"
    ]
    assert cli.json("--db", ro, "school", "list")["total"] == 0
    assert cli.json("school", "list")["total"] == 0


@pytest.mark.postgres
def test_db_lifecycle_on_postgresql(bare: Cli) -> None:
    assert PG_URL
    url = create_pg_database("jjdb")
    try:
        doc = bare.json("--db", url, "db", "init", *ADMIN, input="Passw0rd!\n")
        assert doc["created_admin"] == "boss"
        assert bare.json("--db", url, "db", "init")["created_admin"] is None
        bare.run("--db", url, "login", "boss", "--password-stdin", input="Passw0rd!\n")
        head = doc["revision"]
        assert bare.json("--db", url, "db", "check")["revision"] == head
        target = bare.tmp / "pg.dump"
        assert bare.json("--db", url, "db", "backup", str(target))["bytes"] > 1000
        assert target.read_bytes().startswith(b"PGDMP")
    finally:
        drop_pg_database(url)
