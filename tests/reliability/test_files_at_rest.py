"""Personal data at rest: every file jjadmin creates is its owner's alone (0600), whatever
the user's umask — the SQLite database and its -wal/-shm, backups, exports, error
workbooks, PDFs and forms."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.world import (
    CLOSING,
    SELECTED,
    World,
    copy_world,
    drop_copy,
    env_for,
    run_inprocess,
)


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """The user's umask is 022 (world-readable files) before jjadmin starts."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_wal_and_shm_are_owner_only(tmp_path: Path, lax_umask: None) -> None:
    db = tmp_path / "data" / "jj.db"
    env = {
        "JJADMIN_DATABASE_URL": f"sqlite:///{db}",
        "JJADMIN_SESSION_FILE": str(tmp_path / "session.json"),
        "JJADMIN_LOG_DIR": str(tmp_path / "logs"),
        "JJADMIN_SMS": f"file:{tmp_path / 'sms.jsonl'}",
    }
    from typer.testing import CliRunner

    from jjadmin.cli import app

    os.umask(0o022)
    result = CliRunner().invoke(
        app,
        [
            "db",
            "init",
            "--admin",
            "admin",
            "--name",
            "管理员",
            "--mobile",
            "13800138000",
            "--password-stdin",
        ],
        input="Passw0rd!\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    import sqlite3

    conn = sqlite3.connect(db)  # keep the WAL open while we look at it
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS _probe (x)")
    try:
        for name in ("jj.db", "jj.db-wal", "jj.db-shm"):
            assert _mode(db.with_name(name)) == 0o600, name
    finally:
        conn.close()


def _files(world: World, tmp: Path) -> dict[str, list[str]]:
    """command → argv writing one file into tmp (city, verified)."""
    bad = tmp / "bad.csv"
    bad.write_text("学号,调入学校代码,备注\n00000000000000,4401060001,x\n", encoding="utf-8")
    return {
        "backup.db": ["db", "backup", str(tmp / "backup.db")],
        "schools.xlsx": ["school", "export", str(tmp / "schools.xlsx")],
        "teachers.csv": ["teacher", "export", str(tmp / "teachers.csv")],
        "enroll.xlsx": ["enroll", "list", "--period", "2601", "--out", str(tmp / "enroll.xlsx")],
        "errors.xlsx": ["transfer", "import", str(bad), "--errors-to", str(tmp / "errors.xlsx")],
        "notice.pdf": ["bill", "notice", world.bills["b1"], "--out", str(tmp / "notice.pdf")],
        "form.pdf": [
            "special-user",
            "form",
            "individual",
            world.learner["t3"],
            "--out",
            str(tmp / "form.pdf"),
        ],
        "template.xlsx": ["teacher", "template", str(tmp / "template.xlsx")],
    }


def test_backups_exports_workbooks_and_pdfs_are_owner_only(
    world: World, tmp_path: Path, lax_umask: None
) -> None:
    if world.backend != "sqlite":
        pytest.skip("the files are the same on every backend; the SQLite run checks them")
    url = copy_world(world, tmp_path, "files")
    try:
        for name, argv in _files(world, tmp_path).items():
            os.umask(0o022)
            now = CLOSING if name == "form.pdf" else SELECTED
            code, out, err = run_inprocess(argv, env_for(url, tmp_path, world.tokens["city"], now))
            assert code in (0, 1), (name, out, err)  # the error workbook's import exits 1
            assert _mode(tmp_path / name) == 0o600, name
    finally:
        drop_copy(url)
