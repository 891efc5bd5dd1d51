"""One small city with every kind of state the bulk commands act on, built once per backend
and copied per test (SQLite: a file copy; PostgreSQL: CREATE DATABASE … TEMPLATE).

The world (billing's helpers_billing.build_city, plus):
- teacher t4 at a2 (no enrollments: may transfer, may enroll), two teachers imported by the
  city (batch 1, to undo);
- 2601 billed (a1 × TV, a1 × 越秀中心, b1 × TV), then t2 × C2 added (a regeneration updates
  a1's bill);
- 2602 with t3 × X1 unpaid, billed and closed: t3 is a special user of 2602.
Each command of KILLS (test_kill.py) has its input file written by `inputs()`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from jjadmin.db import make_engine, migrate, session_factory, sqlite_path
from jjadmin.models import AuthToken, metadata
from jjadmin.services.accounts import seed_districts
from jjadmin.services.auth import token_digest
from tests.conftest import create_pg_database, drop_pg_database
from tests.factories import NOW, make_teacher
from tests.helpers_billing import AFTER_DEADLINE, AFTER_SELECTION, NEXT_DEADLINE, TV, build_city
from tests.helpers_school import school_row, write_csv
from tests.helpers_transfers import enroll
from tests.xlsx_helpers import make_xlsx

SELECTING = "2026-03-15T10:00:00+08:00"
SELECTED = AFTER_SELECTION.isoformat()
CLOSING = AFTER_DEADLINE.isoformat()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    url: str
    backend: str
    tokens: dict[str, str]  # role name in the world → automation token
    learner: dict[str, str]  # t1..t4 → 学号
    names: dict[str, str]
    bills: dict[str, str] = field(default_factory=dict)  # "b1" → b1's TV bill number
    users: dict[str, str] = field(default_factory=dict)  # "school_b1" → that account's username


def _token(session: Any, account_id: int, name: str) -> str:
    secret = f"jj_world_{name}_token"
    session.add(
        AuthToken(
            token_hash=token_digest(secret),
            account_id=account_id,
            kind="token",
            created_at=NOW,
            expires_at=NOW + timedelta(days=400),
            verified_until=NOW + timedelta(days=400),  # SMS-verified: exports may run
        )
    )
    return secret


def env_for(world_url: str, tmp: Path, token: str, now: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JJADMIN_")}
    env.update(
        JJADMIN_DATABASE_URL=world_url,
        JJADMIN_TOKEN=token,
        JJADMIN_NOW=now,
        JJADMIN_LOG_DIR=str(tmp / "logs"),
        JJADMIN_SESSION_FILE=str(tmp / "no-session.json"),
        JJADMIN_SMS=f"file:{tmp / 'sms.jsonl'}",
        COLUMNS="200",
    )
    return env


def run_inprocess(
    args: Sequence[str], env: dict[str, str], *, stdin: str | None = None
) -> tuple[int, str, str]:
    """Run jjadmin in this process (CliRunner): (exit code, stdout, stderr)."""
    from typer.testing import CliRunner

    from jjadmin.cli import app

    # CliRunner's env adds to os.environ: blank every other JJADMIN_ variable explicitly
    full = {k: None for k in os.environ if k.startswith("JJADMIN_")}
    full.update(env)
    result = CliRunner().invoke(app, list(args), input=stdin, env=full, catch_exceptions=True)  # type: ignore[arg-type]
    return result.exit_code, result.stdout, result.stderr


def run_process(
    args: Sequence[str], env: dict[str, str], *, timeout: float = 120
) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "jjadmin", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def build(url: str, backend: str, tmp: Path) -> World:
    engine = make_engine(url, create=True)
    migrate(engine)
    with session_factory(engine)() as s:
        seed_districts(s)
        c = build_city(s)
        t4 = make_teacher(s, c.a2, name="赵四")
        from tests.helpers_billing import next_period_debt

        next_period_debt(s, c.t3)
        tokens = {
            name: _token(s, actor.account_id or 0, name)
            for name, actor in (
                ("city", c.city),
                ("system", c.system),
                ("district", c.dist_a),
                ("school", c.admin_a1),
                ("institution", c.tv),
            )
        }
        from jjadmin.models import Account

        teacher_account = Account(
            username=c.t1.learner_no,
            role="teacher",
            name=c.t1.name,
            teacher_id=c.t1.id,
            created_at=NOW,
            password_changed_at=NOW,
        )
        s.add(teacher_account)
        s.flush()
        tokens["teacher"] = _token(s, teacher_account.id or 0, "teacher")
        users = {
            "city": c.city.username,
            "district": c.dist_a.username,
            "district_b": c.dist_b.username,
            "school": c.admin_a1.username,
            "school_b1": c.admin_b1.username,
            "institution": c.tv.username,
            "institution_b": c.yx_centre.username,
        }
        learner = {
            "t1": c.t1.learner_no,
            "t2": c.t2.learner_no,
            "t3": c.t3.learner_no,
            "t4": t4.learner_no,
        }
        names = {"t1": c.t1.name, "t2": c.t2.name, "t3": c.t3.name, "t4": t4.name}
        s.commit()
    world = World(url, backend, tokens, learner, names, users=users)

    def run(now: str, *args: str, who: str = "city") -> Any:
        code, out, err = run_inprocess([*args, "--json"], env_for(url, tmp, tokens[who], now))
        assert code == 0, (args, code, out, err)
        return json.loads(out) if out.strip() else None

    from jjadmin.importers.teacher import TEACHER_HEADERS
    from tests.factories import id_number
    from tests.services.test_teachers import sheet_row

    rows = [sheet_row(id_number(seq=9000 + i), school="4401040002") for i in range(2)]
    batch_file = make_xlsx(tmp / "batch1.xlsx", [list(TEACHER_HEADERS), *rows])
    run(SELECTING, "teacher", "import", str(batch_file))
    run(SELECTED, "bill", "generate", "--period", "2601", who="system")
    run("2026-10-01T10:00:00+08:00", "bill", "generate", "--period", "2602", who="system")
    run(NEXT_DEADLINE.isoformat(), "period", "close", "2602")
    listed = run(SELECTED, "bill", "list", "--period", "2601")
    for item in listed["items"]:
        if item["school_code"] == "4401060001":
            world.bills["b1"] = item["bill_no"]
            world.bills["b1_amount"] = item["amount"]
        elif item["school_code"] == "4401040001" and item["charging_unit"] == TV:
            world.bills["a1"] = item["bill_no"]
    with session_factory(engine)() as s:
        from jjadmin.models import Course, Teacher

        t2 = s.execute(text("SELECT id FROM teacher WHERE learner_no = :n"), {"n": learner["t2"]})
        t2_row = s.get(Teacher, t2.scalar_one())
        c2 = s.execute(text("SELECT id FROM course WHERE code = 'C2' AND period = '2601'"))
        c2_row = s.get(Course, c2.scalar_one())
        assert t2_row is not None and c2_row is not None
        enroll(s, t2_row, c2_row)
        s.commit()
    engine.dispose()
    return world


def inputs(world: World, tmp: Path) -> dict[str, Path]:
    """The files the bulk commands read, written into `tmp`."""
    from jjadmin.importers.teacher import TEACHER_HEADERS
    from jjadmin.services import courses
    from tests.factories import id_number
    from tests.services.test_courses import row as course_row
    from tests.services.test_teachers import sheet_row

    files: dict[str, Path] = {}
    files["school"] = write_csv(
        tmp / "schools.csv", [school_row(f"440104{7000 + i:04d}") for i in range(40)]
    )
    files["teacher"] = make_xlsx(
        tmp / "teachers.xlsx",
        [list(TEACHER_HEADERS), *[sheet_row(id_number(seq=9100 + i)) for i in range(20)]],
    )
    headers = list(courses.HEADERS.values())
    crow = [course_row(f"K{i:02d}") for i in range(15)]
    files["course"] = make_xlsx(
        tmp / "courses.xlsx", [headers, *[[r.get(h, "") for h in headers] for r in crow]]
    )
    files["enroll"] = make_xlsx(
        tmp / "enroll.xlsx", [["学号", "课程编号"], [world.learner["t4"], "C1"]]
    )
    files["transfer"] = make_xlsx(
        tmp / "transfer.xlsx",
        [["学号", "调入学校代码", "备注"], [world.learner["t4"], "4401060001", "工作调动"]],
    )
    files["payments"] = make_xlsx(
        tmp / "payments.xlsx",
        [
            ["账单号", "金额", "缴费日期", "票据号"],
            [world.bills["b1"], world.bills["b1_amount"], "2026-04-05", "R0001"],
        ],
    )
    files["clear"] = make_xlsx(
        tmp / "fubiao2.xlsx", [["学员学号", "学员姓名"], [world.learner["t3"], world.names["t3"]]]
    )
    files["grade"] = make_xlsx(
        tmp / "grades.xlsx",
        [
            ["学号", "课程编号", "成绩"],
            [world.learner["t1"], "C1", 85],
            [world.learner["t2"], "C1", 90],
        ],
    )
    files["declaration"] = make_xlsx(
        tmp / "declarations.xlsx",
        [
            [
                "学号",
                "培训年度",
                "项目名称",
                "培训机构",
                "开始日期",
                "结束日期",
                "学时",
                "学时类型",
            ],
            [
                world.learner["t1"],
                "2026",
                "暑期研修",
                "广州市教研院",
                "2026-03-01",
                "2026-03-02",
                "8",
                "专业科目",
            ],
        ],
    )
    proof = tmp / "seal.pdf"
    proof.write_bytes(PDF)
    files["proof"] = proof
    return files


def fingerprint(url: str) -> tuple[str, dict[str, int]]:
    """A digest of every row of every table (in primary-key order), and each table's count."""
    engine = make_engine(url)
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    try:
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns) or "1"
                rows = conn.execute(text(f'SELECT * FROM "{table.name}" ORDER BY {order}'))
                digest.update(table.name.encode())
                counts[table.name] = 0
                for r in rows:
                    digest.update(repr(tuple(r)).encode())
                    counts[table.name] += 1
    finally:
        engine.dispose()
    return digest.hexdigest(), counts


def write_lock_free(url: str) -> bool:
    """True when no one holds the database's write lock / another connection (no stale lock)."""
    path = sqlite_path(url)
    if path is not None:
        import sqlite3

        conn = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()
    import time

    engine = make_engine(url)
    deadline = time.monotonic() + 10  # the server notices a dead client within moments
    try:
        while True:
            with engine.connect() as conn:
                others = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
                locks = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                        " AND database = (SELECT oid FROM pg_database"
                        " WHERE datname = current_database())"
                    )
                ).scalar_one()
            if others == 0 and locks == 0:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
    finally:
        engine.dispose()


def copy_world(world: World, tmp: Path, name: str) -> str:
    """A private copy of the world's database; returns its URL."""
    path = sqlite_path(world.url)
    if path is not None:
        target = tmp / f"{name}.db"
        shutil.copyfile(path, target)
        return f"sqlite:///{target}"
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from tests.conftest import _admin_url

    new = f"{make_url(world.url).database}_{name}"[:60]
    admin = create_engine(_admin_url(world.url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{new}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{new}" TEMPLATE "{make_url(world.url).database}"'))
    admin.dispose()
    return make_url(world.url).set(database=new).render_as_string(hide_password=False)


def drop_copy(url: str) -> None:
    if sqlite_path(url) is None:
        drop_pg_database(url)


def world_database(backend: str, tmp: Path) -> Iterator[World]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'world.db'}"
        world = build(url, backend, tmp)
        engine = make_engine(url)
        engine.dispose()
        yield world
        return
    url = create_pg_database("jjworld")
    try:
        yield build(url, backend, tmp)
    finally:
        drop_pg_database(url)
