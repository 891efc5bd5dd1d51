"""Billing in real processes: `period close` racing `bill pay`, and kill -9 in the middle of
`bill generate`, `bill import-payments` and `period close` (SQLite file, and PostgreSQL when
JJADMIN_TEST_PG_URL is set)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from jjadmin.db import lock_key, make_engine, migrate, session_factory
from jjadmin.models import Account, AuthToken
from jjadmin.services.accounts import seed_districts
from jjadmin.services.auth import token_digest
from tests.conftest import PG_URL, create_pg_database, drop_pg_database
from tests.factories import NOW
from tests.helpers_billing import TV, build_city, load_big_city
from tests.xlsx_helpers import make_xlsx

pytestmark = pytest.mark.slow

SELECTED = "2026-04-01T10:00:00+08:00"
CLOSING = "2026-04-16T02:00:00+08:00"


@pytest.fixture(params=["sqlite"] + (["postgres"] if PG_URL else []))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'billing.db'}"
        return
    url = create_pg_database("jjbill")
    yield url
    drop_pg_database(url)


def _tokens(url: str) -> dict[str, str]:
    """Automation tokens for the city account `admin` and a `system` account `cron`."""
    engine = make_engine(url)
    tokens = {}
    with session_factory(engine)() as s:
        if s.execute(text("SELECT 1 FROM account WHERE username = 'admin'")).first() is None:
            s.add(Account(username="admin", role="city", name="市管理员", created_at=NOW))
        s.add(Account(username="cron", role="system", name="定时任务", created_at=NOW))
        s.flush()
        for user in ("admin", "cron"):
            account_id = s.execute(
                text("SELECT id FROM account WHERE username = :u"), {"u": user}
            ).scalar_one()
            secret = f"jj_test_{user}_token"
            s.add(
                AuthToken(
                    token_hash=token_digest(secret),
                    account_id=account_id,
                    kind="token",
                    created_at=NOW,
                    expires_at=NOW + timedelta(days=400),
                )
            )
            tokens[user] = secret
        s.commit()
    engine.dispose()
    return tokens


def _env(tmp: Path, url: str, token: str, now: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        JJADMIN_DATABASE_URL=url,
        JJADMIN_TOKEN=token,
        JJADMIN_NOW=now,
        JJADMIN_LOG_DIR=str(tmp / "logs"),
        JJADMIN_SESSION_FILE=str(tmp / "no-session.json"),
        JJADMIN_SMS=f"file:{tmp / 'sms.jsonl'}",
    )
    return env


def _jj(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "jjadmin", *args, "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _done(proc: subprocess.Popen[str]) -> tuple[int, dict[str, Any]]:
    out, err = proc.communicate(timeout=180)
    assert out.strip(), err
    return proc.returncode, json.loads(out)


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return rows


class Gate:
    """Holds the billing lock of period 2601 (PostgreSQL: its advisory lock; SQLite: the
    write lock) so that two processes queue on it and start racing at the same instant."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None

    def close(self) -> None:
        if self.url.startswith("sqlite"):
            self.conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            self.conn = psycopg.connect(
                "postgresql://" + self.url.split("://", 1)[1], autocommit=True
            )
            self.conn.execute("SELECT pg_advisory_lock(%s)", (lock_key("billing-period:2601"),))

    def open(self) -> None:
        if self.url.startswith("sqlite"):
            self.conn.execute("ROLLBACK")
        else:
            self.conn.execute("SELECT pg_advisory_unlock_all()")
        self.conn.close()


def _waiting(url: str, procs: list[subprocess.Popen[str]]) -> None:
    """Until both processes are queued on the gate (PostgreSQL: seen waiting on the
    advisory lock; SQLite: given time to reach BEGIN IMMEDIATE)."""
    deadline = time.monotonic() + 60
    if url.startswith("sqlite"):
        time.sleep(2.5)
        return
    while time.monotonic() < deadline:
        waiting = _query(
            url,
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND wait_event = 'advisory' AND datname = current_database()",
        )[0][0]
        if waiting >= 2:
            return
        assert all(p.poll() is None for p in procs), "a racer ended before the gate opened"
        time.sleep(0.05)
    raise AssertionError("the racers never queued on the billing lock")


def test_a_close_racing_a_payment_never_flags_what_the_payment_paid(
    database: str, tmp_path: Path
) -> None:
    engine = make_engine(database, create=True)
    migrate(engine)
    with session_factory(engine)() as s:
        seed_districts(s)
        s.commit()
        city = build_city(s)
    engine.dispose()
    tokens = _tokens(database)
    env = _env(tmp_path, database, tokens["cron"], SELECTED)
    code, generated = _done(_jj(env, "bill", "generate", "--period", "2601"))
    assert (code, generated["bills"]) == (0, 3)
    bill_no = next(
        i["bill_no"]
        for i in _done(_jj(env, "bill", "list", "--period", "2601"))[1]["items"]
        if i["school_code"] == "4401040001" and i["charging_unit"] == TV
    )
    gate = Gate(database)
    gate.close()
    try:
        payer = _jj(
            _env(tmp_path, database, tokens["admin"], CLOSING),
            "bill",
            "pay",
            bill_no,
            "--receipt",
            "RACE-1",
        )
        closer = _jj(_env(tmp_path, database, tokens["cron"], CLOSING), "period", "close", "2601")
        _waiting(database, [payer, closer])
    finally:
        gate.open()
    (pay_code, paid), (close_code, closed) = _done(payer), _done(closer)
    assert (pay_code, paid["state"], close_code) == (0, "paid", 0)
    order = dict(
        _query(
            database,
            "SELECT action, min(id) FROM audit_log WHERE action IN ('bill.pay', 'period.close')"
            " GROUP BY action",
        )
    )
    flagged = {int(tid) for (tid,) in _query(database, "SELECT teacher_id FROM special_user")}
    if order["bill.pay"] < order["period.close"]:  # the payment won: its teachers are clear
        assert flagged == {city.t3.id}
        assert closed["flagged"] == 1
    else:  # the close won: it saw nothing paid
        assert flagged == {city.t1.id, city.t2.id, city.t3.id}
        assert closed["enrollments"] == 5


def _write_locked(db: Path) -> bool:
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    else:
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()


def _in_transaction(url: str, proc: subprocess.Popen[str], needle: str) -> None:
    """Until `proc` is inside its write transaction (SQLite: holds the write lock;
    PostgreSQL: a session of the database runs a statement containing `needle`)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the command ended before it was killed: give it more rows"
        if url.startswith("sqlite"):
            if _write_locked(Path(url.removeprefix("sqlite:///"))):
                return
        else:
            busy = _query(
                url,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                f" AND state = 'active' AND query LIKE '%{needle}%' AND pid <> pg_backend_pid()",
            )[0][0]
            if busy:
                return
        time.sleep(0.005)
    raise AssertionError("the command never started writing")


def _kill(url: str, proc: subprocess.Popen[str], needle: str) -> None:
    try:
        _in_transaction(url, proc, needle)
        proc.send_signal(signal.SIGSTOP)  # frozen inside its transaction …
        if url.startswith("sqlite"):
            assert _write_locked(Path(url.removeprefix("sqlite:///"))), "committed already"
        proc.send_signal(signal.SIGKILL)  # … and killed there
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


STATE_SQL = {
    "bills": "SELECT count(*), coalesce(sum(amount), 0) FROM bill WHERE state = 'unpaid'",
    "paid": "SELECT count(*) FROM bill WHERE state = 'paid'",
    "payments": "SELECT count(*) FROM payment",
    "paid_enrollments": "SELECT count(*) FROM enrollment WHERE paid = true",
    "flags": "SELECT count(*) FROM special_user",
    "audit": "SELECT count(*) FROM audit_log",
    "batches": "SELECT count(*) FROM import_batch",
}


def _state(url: str) -> dict[str, list[tuple[Any, ...]]]:
    return {k: _query(url, sql) for k, sql in STATE_SQL.items()}


@pytest.mark.parametrize("command", ["generate", "import-payments", "close"])
def test_kill_9_in_the_middle_leaves_the_database_as_before(
    database: str, tmp_path: Path, command: str
) -> None:
    load_big_city(database, schools=300, teachers=12_000)
    tokens = _tokens(database)
    env = _env(tmp_path, database, tokens["cron"], SELECTED)
    args: tuple[str, ...] = ("bill", "generate", "--period", "2601")
    needle = "enrollment"
    if command != "generate":
        assert _done(_jj(env, "bill", "generate", "--period", "2601"))[0] == 0
    if command == "import-payments":
        items = _done(_jj(env, "bill", "list", "--period", "2601", "--limit", "5000"))[1]["items"]
        sheet = make_xlsx(
            tmp_path / "缴费.xlsx",
            [["账单号", "金额", "缴费日期", "票据号"]]
            + [[i["bill_no"], i["amount"], "2026-04-05", f"K{n}"] for n, i in enumerate(items)],
        )
        env = _env(tmp_path, database, tokens["admin"], "2026-04-05T10:00:00+08:00")
        args, needle = ("bill", "import-payments", str(sheet)), "UPDATE enrollment"
    elif command == "close":
        env = _env(tmp_path, database, tokens["cron"], CLOSING)
        args, needle = ("period", "close", "2601"), "close_"
    before = _state(database)
    _kill(database, _jj(env, *args), needle)
    assert _state(database) == before
    if database.startswith("sqlite"):
        path = Path(database.removeprefix("sqlite:///"))
        assert not _write_locked(path)
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()
    code, doc = _done(_jj(env, *args))  # and the same command then runs to its end
    assert code == 0 and doc.get("ok", True) is True
    assert _state(database) != before
