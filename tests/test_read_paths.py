"""The read paths that run on the DB-API driver without SQLAlchemy (jjadmin/rawdb.py):
what they import, how they open the database, and how they behave on PostgreSQL through
psycopg directly (the service tests cover the same SQL through an engine's connection)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from jjadmin.config import SettingsError, get_settings
from jjadmin.errors import NotFound
from jjadmin.rawdb import (
    DatabaseUnavailable,
    RawReader,
    as_bool,
    as_date,
    as_json,
    as_utc,
    connect,
    describe_error,
    direct_target,
    display_url,
    in_list,
    like_contains,
    map_driver_error,
)
from tests.cli.test_teacher_cli import SCHOOL_HEADERS
from tests.conftest import PG_URL, Cli, create_pg_database, drop_pg_database
from tests.factories import id_number

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "openpyxl", "pandas", "pydantic_settings")


# --- rawdb ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////tmp/a.db", ("sqlite", "/tmp/a.db")),
        ("sqlite:///rel/a.db", ("sqlite", "rel/a.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file:/tmp/a.db?mode=ro&uri=true", None),
        ("sqlite:////tmp/a.db?timeout=5", None),
        ("postgresql+psycopg://u:p@h:5432/db", ("postgresql", "postgresql://u:p@h:5432/db")),
        ("postgres://u@h/db", ("postgresql", "postgresql://u@h/db")),
        ("mysql://u@h/db", None),
    ],
)
def test_direct_target_takes_plain_files_and_postgresql_only(
    url: str, expected: tuple[str, str] | None
) -> None:
    assert direct_target(url) == expected


def test_display_url_hides_the_password() -> None:
    assert display_url("postgresql+psycopg://jj:s3cret@db:5432/city") == (
        "postgresql+psycopg://jj:***@db:5432/city"
    )
    assert display_url("sqlite:////tmp/a.db") == "sqlite:////tmp/a.db"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("attempt to write a readonly database", "数据库文件只读"),
        ("unable to open database file", "无法打开数据库文件"),
        ("no such table: teacher", "数据库尚未初始化"),
        ('relation "teacher" does not exist', "数据库尚未初始化"),
        ("database is locked", "数据库正忙"),
        ("connection refused\nIs the server running?", "连接被拒绝"),
        ('password authentication failed for user "x"', "用户名或密码错误"),
        ('database "nope" does not exist', "数据库不存在"),
        ("something else entirely", "无法连接数据库 W：something else entirely"),
    ],
)
def test_driver_messages_become_one_chinese_line(message: str, expected: str) -> None:
    text = describe_error(message, "W")
    assert expected in text and "\n" not in text


def test_only_driver_errors_are_mapped() -> None:
    import sqlite3

    assert map_driver_error(ValueError("no such table: x"), "W") is None
    missing = map_driver_error(sqlite3.OperationalError("no such table: x"), "W")
    assert isinstance(missing, NotFound) and missing.exit_code == 4
    locked = map_driver_error(sqlite3.OperationalError("database is locked"), "W")
    assert isinstance(locked, DatabaseUnavailable) and locked.exit_code == 10
    assert map_driver_error(sqlite3.IntegrityError("UNIQUE constraint failed"), "W") is None


def test_in_list_and_like_patterns() -> None:
    params: dict[str, object] = {}
    assert in_list("a", [3, 4], params) == "(:a0, :a1)"
    assert params == {"a0": 3, "a1": 4}
    assert in_list("b", [], params) == "(NULL)"
    assert like_contains("50%_a/b") == "%50/%/_a//b%"


def test_values_come_back_as_the_models_give_them() -> None:
    assert as_date("1980-01-02") == date(1980, 1, 2)
    assert as_date(date(1980, 1, 2)) == date(1980, 1, 2)
    assert as_date(datetime(1980, 1, 2, 3, 4)) == date(1980, 1, 2)
    assert as_date(None) is None
    assert as_utc("2026-03-10 01:30:00.000000") == datetime(2026, 3, 10, 1, 30, tzinfo=UTC)
    aware = datetime.fromisoformat("2026-03-10T09:30:00+08:00")
    assert as_utc(aware) == datetime(2026, 3, 10, 1, 30, tzinfo=UTC)
    assert as_utc(None) is None
    assert as_json('{"a": 1}') == {"a": 1} and as_json({"a": 1}) == {"a": 1}
    assert as_bool(1) is True and as_bool(0) is False


def test_postgresql_parameters_are_converted_and_casts_left_alone() -> None:
    reader = RawReader(None, "postgresql", "W")
    assert reader._convert("SELECT :a, x::text, 5 % 2 FROM t WHERE b = :b_2") == (
        "SELECT %(a)s, x::text, 5 %% 2 FROM t WHERE b = %(b_2)s"
    )
    assert RawReader(None, "sqlite", "W")._convert("SELECT :a") == "SELECT :a"


def test_connect_refuses_a_missing_file_and_an_unreachable_server(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="数据库文件不存在"):
        connect(f"sqlite:///{tmp_path / 'missing.db'}")
    with pytest.raises(DatabaseUnavailable) as err:
        connect("postgresql+psycopg://postgres:pw@127.0.0.1:1/none")
    assert "pw" not in err.value.message and "***" in err.value.message


def test_a_sqlite_connection_is_read_only(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "x.db"
    sqlite3.connect(path).execute("CREATE TABLE t (a INTEGER)").connection.close()
    reader = connect(f"sqlite:///{path}")
    try:
        with reader.snapshot():
            assert reader.rows("SELECT count(*) FROM t") == [(0,)]
            with pytest.raises(DatabaseUnavailable, match="只读"):
                reader.rows("INSERT INTO t VALUES (1)")
        assert not reader.has_schema()
    finally:
        reader.close()


# --- settings ---------------------------------------------------------------------------------


def test_settings_from_the_environment() -> None:
    s = get_settings(
        {
            "JJADMIN_DATABASE_URL": " postgres://u@h/db ",
            "jjadmin_max_rows": "500",
            "JJADMIN_DEBUG": "yes",
            "JJADMIN_SESSION_FILE": "/tmp/s.json",
            "OTHER": "x",
        }
    )
    assert s.database_url == "postgresql+psycopg://u@h/db"
    assert s.max_rows == 500 and s.debug is True
    assert s.session_file == Path("/tmp/s.json")
    assert get_settings({"JJADMIN_DATABASE_URL": "  "}).database_url is None
    assert get_settings({"JJADMIN_DEBUG": "1"}, debug=None).debug is True
    assert get_settings({"JJADMIN_SMS": "console"}, sms="file:/x").sms == "file:/x"


@pytest.mark.parametrize(
    ("name", "value"),
    [("JJADMIN_MAX_ROWS", "很多"), ("JJADMIN_MAX_ROWS", "0"), ("JJADMIN_DEBUG", "maybe")],
)
def test_a_bad_setting_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as err:
        get_settings({name: value})
    assert err.value.name == name and err.value.value == value and err.value.reason


# --- what a read command imports --------------------------------------------------------------

_PROBE = """
import atexit, json, sys
atexit.register(lambda: sys.stderr.write(
    "MODULES " + json.dumps(sorted({m.split('.')[0] for m in sys.modules})) + "\\n"))
sys.argv = ["jjadmin", *json.loads(sys.argv[1])]
from jjadmin.cli import main
main()
"""


def _modules(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(args))],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("MODULES ")][-1]
    return done, set(json.loads(line[len("MODULES ") :]))


def test_list_show_and_stats_never_load_sqlalchemy(cli: Cli) -> None:
    cli.run(
        "period", "create", "2601", "--select-from", "2026-03-01", "--select-to", "2026-03-20",
        "--pay-by", "2026-04-10",
    )  # fmt: skip
    learner = _seed_teacher(cli)
    for args in (
        ("teacher", "list", "--json", "--limit", "50"),
        ("teacher", "list", "--limit", "50"),
        ("teacher", "show", learner),
        ("teacher", "show", learner, "--json"),
        ("enroll", "stats", "--period", "2601", "--by", "school", "--json"),
        ("enroll", "list", "--period", "2601", "--json"),
        ("enroll", "list", "--limit", "50"),  # the current period, by default
        ("school", "list"),
        ("school", "list", "--json"),
        ("batch", "list"),
        ("course", "list", "--period", "2601", "--subject", "语文"),
        ("period", "list"),
        ("transfer", "list", "--state", "待审批"),
        ("bill", "list", "--state", "未缴费"),
        ("account", "list"),
        ("special-training", "list", "--state", "待学校审核"),
        ("period", "show", "2601", "--json"),
        ("audit", "list", "--action", "选课", "--since", "2026-01-01"),
        ("whoami",),
    ):
        done, modules = _modules(*args)
        assert done.returncode == 0, done.stderr
        assert not modules & set(HEAVY), (args, sorted(modules & set(HEAVY)))
    done, modules = _modules("teacher", "list", "--json")
    assert "rich" not in modules  # JSON output needs no Rich
    # A write command still gets its engine.
    done, modules = _modules("teacher", "set", learner, "--title", "一级教师")
    assert done.returncode == 0, done.stderr
    assert "sqlalchemy" in modules


def test_an_uninitialised_database_is_exit_4_with_the_hint(cli: Cli, tmp_path: Path) -> None:
    import sqlite3

    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE x (a INTEGER)").connection.close()
    result = cli.run("teacher", "list", code=4, env={"JJADMIN_DATABASE_URL": f"sqlite:///{empty}"})
    assert "数据库尚未初始化" in result.stderr and "db init" in result.stderr


def _seed_teacher(cli: Cli, school: str = "4401040001") -> str:
    import openpyxl

    path = cli.tmp / "schools.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(SCHOOL_HEADERS)
    ws.append(
        [school, "越秀一小", school[:6], "小学", "越秀一小", "街道", "公办", "校长", "13800138000"]
    )
    wb.save(path)
    cli.run("school", "import", str(path))
    doc = cli.json(
        "teacher", "add", "--name", "张三", "--id-number", id_number(seq=4242), "--mobile",
        "13800138000", "--school", school, "--stage", "小学", "--subject", "语文",
    )  # fmt: skip
    return str(doc["learner_no"])


# --- PostgreSQL through psycopg directly ------------------------------------------------------


@pytest.fixture
def pg_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    from tests.conftest import Outbox

    assert PG_URL
    url = create_pg_database("jjread")
    outbox = Outbox(tmp_path / "sms.jsonl")
    monkeypatch.setenv("JJADMIN_DATABASE_URL", url)
    monkeypatch.setenv("JJADMIN_SESSION_FILE", str(tmp_path / "session.json"))
    monkeypatch.setenv("JJADMIN_SMS", f"file:{outbox.path}")
    monkeypatch.setenv("JJADMIN_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("JJADMIN_NOW", "2026-03-15T10:00:00+08:00")
    monkeypatch.delenv("JJADMIN_TOKEN", raising=False)
    c = Cli(tmp_path, monkeypatch, url, outbox)
    yield c  # type: ignore[misc]
    drop_pg_database(url)


PG_ONLY = pytest.mark.skipif(PG_URL is None, reason="JJADMIN_TEST_PG_URL 未设置")


@PG_ONLY
def test_read_paths_on_postgresql_through_psycopg(pg_cli: Cli) -> None:
    untouched = pg_cli.run("teacher", "list", code=4)
    assert "数据库尚未初始化" in untouched.stderr
    pg_cli.run(
        "db", "init", "--admin", "admin", "--name", "市管理员", "--mobile", "13800138000",
        "--password-stdin", input="Passw0rd!\n",
    )  # fmt: skip
    pg_cli.login("admin")
    assert pg_cli.json("whoami")["username"] == "admin"
    learner = _seed_teacher(pg_cli)
    listed = pg_cli.json("teacher", "list")
    assert listed["total"] == 1
    item = listed["items"][0]
    assert item["learner_no"] == learner and "*" in item["id_number"]
    assert item["is_special"] is False and item["locked"] is False
    assert date.fromisoformat(item["birth_date"])
    shown = pg_cli.json("teacher", "show", learner)
    assert shown["district_name"] and shown["created_at"].endswith("+08:00")
    pg_cli.run("teacher", "show", learner, "--show-id", code=3)
    pg_cli.verify()
    full = pg_cli.json("teacher", "show", learner, "--show-id")
    assert "*" not in full["id_number"]
    assert pg_cli.json("teacher", "list", "--name", "%")["total"] == 0
    pg_cli.run(
        "period", "create", "2601", "--select-from", "2026-03-01", "--select-to", "2026-03-20",
        "--pay-by", "2026-04-10",
    )  # fmt: skip
    stats = pg_cli.json("enroll", "stats", "--period", "2601", "--by", "district")
    assert stats["items"] == [] and stats["total"] == 0
    pg_cli.run("enroll", "stats", "--period", "2602", code=4)
    # the DB-API lists of issue 13 run their SQL on PostgreSQL too
    assert pg_cli.json("enroll", "list", "--period", "2601")["total"] >= 0
    assert pg_cli.json("school", "list")["total"] >= 1
    assert pg_cli.json("batch", "list")["total"] >= 0
    assert pg_cli.json("course", "list", "--period", "2601", "--code", "C")["total"] >= 0
    assert pg_cli.json("period", "show", "2601")["period"] == "2601"
    assert pg_cli.json("transfer", "list")["total"] >= 0
    assert pg_cli.json("bill", "list", "--period", "2601")["total"] >= 0
    assert pg_cli.json("account", "list")["total"] >= 1
    audit = pg_cli.json("audit", "list", "--since", "2026-01-01", "--action", "auth")
    assert audit["total"] >= 1


def test_a_file_that_is_not_a_database_is_one_clear_line(cli: Cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    result = cli.run("teacher", "list", code=10, env={"JJADMIN_DATABASE_URL": f"sqlite:///{junk}"})
    assert "junk.db" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
