"""Fixtures: backends (SQLite always, PostgreSQL with JJADMIN_TEST_PG_URL), contexts, the CLI."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

import jjadmin.models  # noqa: F401
from jjadmin.db import make_engine, migrate, session_factory
from jjadmin.models import metadata
from jjadmin.services.accounts import seed_districts
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.sms import SmsSender
from tests.factories import NOW

PG_URL = os.environ.get("JJADMIN_TEST_PG_URL")
TEACHER_PASSWORD = "Teach3rPass"  # what Cli.login_teacher / factories.login_teacher set
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Still argon2id, with tiny costs: the RFC 9106 defaults take ~1 s per hash on a busy CI
    box. Stored hashes carry their parameters, so verification is unchanged. (A test that
    needs the production hasher calls monkeypatch.undo().)"""
    from argon2 import PasswordHasher

    from jjadmin.services import auth

    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", lambda: fast)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "postgres" in item.keywords and not PG_URL:
            item.add_marker(pytest.mark.skipif(True, reason="JJADMIN_TEST_PG_URL 未设置"))


def _admin_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def create_pg_database(prefix: str = "jjt") -> str:
    """A fresh PostgreSQL database on the test server; returns its URL."""
    assert PG_URL
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_admin_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(_admin_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str | None]:
    """One migrated PostgreSQL database per test session (per xdist worker)."""
    if not PG_URL:
        yield None
        return
    url = create_pg_database()
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    drop_pg_database(url)


@pytest.fixture(scope="session")
def city_db() -> Iterator[Any]:
    """A database deployed as a city's (tests/pgcity.py), one per test session and worker."""
    if not PG_URL:
        pytest.skip("JJADMIN_TEST_PG_URL 未设置")
    from tests.pgcity import city_database

    with city_database() as db:
        yield db


def _truncate_pg(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def sqlite_schema_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The models' schema in a SQLite file, made once per session (per xdist worker)."""
    path = tmp_path_factory.mktemp("schema") / "schema.db"
    eng = make_engine(f"sqlite:///{path}", create=True)
    metadata.create_all(eng)
    eng.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(params=BACKENDS)
def engine(
    request: pytest.FixtureRequest,
    pg_schema_url: str | None,
    sqlite_schema_file: Path,
    tmp_path: Path,
) -> Iterator[Engine]:
    """A fresh schema on every backend under test. SQLite is a file in WAL mode, as users run
    it (a copy of a session-wide schema file), not an in-memory database."""
    if request.param == "sqlite":
        import shutil

        shutil.copyfile(sqlite_schema_file, tmp_path / "service.db")
        eng = make_engine(f"sqlite:///{tmp_path / 'service.db'}")
    else:
        assert pg_schema_url
        eng = make_engine(pg_schema_url)
        _truncate_pg(eng)
    with session_factory(eng)() as s:
        seed_districts(s)
        s.commit()
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging data (commit it before calling services)."""
    s = session_factory(engine)()
    yield s
    s.close()


@dataclass
class Outbox:
    path: Path

    def messages(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text("utf-8").splitlines()]

    def last_code(self) -> str:
        msgs = self.messages()
        assert msgs, "no SMS sent"
        code = msgs[-1]["code"]
        assert isinstance(code, str)
        return code


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "sms.jsonl")


@dataclass
class CtxFactory:
    engine: Engine
    outbox: Outbox
    now: datetime = NOW
    made: list[ServiceContext] = field(default_factory=list)

    def __call__(
        self,
        actor: Actor | None = None,
        *,
        now: datetime | None = None,
        credentials: str | None = None,
    ) -> ServiceContext:
        sc = ServiceContext(
            engine=self.engine,
            now=now or self.now,
            sms=SmsSender(f"file:{self.outbox.path}"),
            credentials=credentials,
            _actor=actor,
        )
        self.made.append(sc)
        return sc


@pytest.fixture
def make_ctx(engine: Engine, outbox: Outbox) -> CtxFactory:
    """make_ctx(actor, now=…) → ServiceContext on the backend under test."""
    return CtxFactory(engine, outbox)


@dataclass
class Cli:
    """Runs `jjadmin` in-process against a SQLite file (or PostgreSQL) in tmp_path."""

    tmp: Path
    monkeypatch: pytest.MonkeyPatch
    db_url: str
    outbox: Outbox

    def run(
        self,
        *args: str,
        code: int | None = 0,
        input: str | None = None,
        env: dict[str, str] | None = None,
    ) -> Any:
        from typer.testing import CliRunner

        from jjadmin.cli import app

        runner = CliRunner()
        result = runner.invoke(app, list(args), input=input, env=env, catch_exceptions=True)
        if code is not None and result.exit_code != code:
            raise AssertionError(
                f"jjadmin {' '.join(args)} exited {result.exit_code}, expected {code}\n"
                f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}\n"
                f"--- exception ---\n{result.exception!r}"
            )
        return result

    def json(self, *args: str, code: int | None = 0, input: str | None = None) -> Any:
        result = self.run(*args, "--json", code=code, input=input)
        return json.loads(result.stdout)

    def set_now(self, iso: str) -> None:
        self.monkeypatch.setenv("JJADMIN_NOW", iso)

    def login(self, username: str, password: str = "Passw0rd!") -> None:
        self.run("login", username, "--password-stdin", input=password + "\n")

    def add_account(
        self,
        username: str,
        role: str,
        *extra: str,
        password: str = "Passw0rd!",
        mobile: str = "13900139001",
    ) -> None:
        self.run(
            "account",
            "add",
            username,
            "--role",
            role,
            "--name",
            f"{username}姓名",
            "--mobile",
            mobile,
            *extra,
            "--password-stdin",
            input=password + "\n",
        )

    def login_teacher(self, learner_no: str, first_password: str) -> None:
        """Log a teacher in with the first (ID-derived or reset) password and replace it with
        TEACHER_PASSWORD, as every teacher must before doing anything else."""
        self.login(learner_no, first_password)
        self.run(
            "me", "passwd", "--password-stdin", input=f"{first_password}\n{TEACHER_PASSWORD}\n"
        )

    def verify(self) -> None:
        self.run("verify", "send")
        self.run("verify", "check", self.outbox.last_code())


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per test session (per xdist worker).

    The `cli` fixture starts from a copy, so its `db init` takes the idempotent path instead
    of replaying every migration (~2 s per test on a busy box). Fresh-database behaviour of
    `db init` is tested on its own in tests/cli/test_db_cli.py.
    """
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}", create=True)
    migrate(engine)
    engine.dispose()  # the last connection checkpoints the WAL into the main file
    return path


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_sqlite_template: Path) -> Cli:
    """A CLI with an initialised SQLite database and the city admin `admin` logged in."""
    import shutil

    shutil.copyfile(migrated_sqlite_template, tmp_path / "jj.db")
    return _start_cli(tmp_path, monkeypatch, f"sqlite:///{tmp_path / 'jj.db'}")


def _start_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> Cli:
    outbox = Outbox(tmp_path / "sms.jsonl")
    monkeypatch.setenv("JJADMIN_DATABASE_URL", url)
    monkeypatch.setenv("JJADMIN_SESSION_FILE", str(tmp_path / "session.json"))
    monkeypatch.setenv("JJADMIN_SMS", f"file:{outbox.path}")
    monkeypatch.setenv("JJADMIN_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("JJADMIN_NOW", "2026-03-15T10:00:00+08:00")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("JJADMIN_TOKEN", raising=False)
    c = Cli(tmp_path, monkeypatch, url, outbox)
    c.run(
        "db",
        "init",
        "--admin",
        "admin",
        "--name",
        "市管理员",
        "--mobile",
        "13800138000",
        "--password-stdin",
        input="Passw0rd!\n",
    )
    c.login("admin")
    return c


@pytest.fixture(scope="session")
def pg_cli_template() -> Iterator[str | None]:
    """A migrated PostgreSQL database to copy (CREATE DATABASE … TEMPLATE) per CLI test."""
    if not PG_URL:
        yield None
        return
    url = create_pg_database("jjclitpl")
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    drop_pg_database(url)


@pytest.fixture(params=BACKENDS)
def any_cli(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    migrated_sqlite_template: Path,
    pg_cli_template: str | None,
) -> Iterator[Cli]:
    """The `cli` fixture on every backend under test: SQLite (a file, WAL) and PostgreSQL (a
    fresh database copied from a migrated template)."""
    if request.param == "sqlite":
        import shutil

        shutil.copyfile(migrated_sqlite_template, tmp_path / "jj.db")
        yield _start_cli(tmp_path, monkeypatch, f"sqlite:///{tmp_path / 'jj.db'}")
        return
    assert pg_cli_template
    from sqlalchemy.engine import make_url

    name = f"jjcli_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_admin_url(pg_cli_template), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(pg_cli_template).database}"')
        )
    admin.dispose()
    url = make_url(pg_cli_template).set(database=name).render_as_string(hide_password=False)
    try:
        yield _start_cli(tmp_path, monkeypatch, url)
    finally:
        drop_pg_database(url)


@pytest.fixture
def xlsx(tmp_path: Path) -> Callable[..., Path]:
    """xlsx(name, headers, rows) → a workbook built in the test."""

    def build(name: str, headers: list[str], rows: list[list[Any]]) -> Path:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(headers)
        for r in rows:
            ws.append(r)
        path = tmp_path / name
        wb.save(path)
        return path

    return build


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say loudly when the PostgreSQL half of the suite did not run."""
    if not PG_URL:
        line = "!" * 78
        terminalreporter.write_line(line, red=True, bold=True)
        terminalreporter.write_line(
            "PostgreSQL 未测试：JJADMIN_TEST_PG_URL 未设置，所有 PostgreSQL 用例均已跳过"
            "（.ci/run 会建库并运行它们）",
            red=True,
            bold=True,
        )
        terminalreporter.write_line(line, red=True, bold=True)
