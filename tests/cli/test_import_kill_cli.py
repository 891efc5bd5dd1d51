"""The kill test: SIGKILL in the middle of an import's transaction changes nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Cli

ROWS = 20_000


def _write_big_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(
            "学校代码,学校名称,所属区代码,办学类型,学校公章名,所在镇街,学校性质,负责人姓名,负责人移动电话\n"
        )
        for i in range(rows):
            fh.write(
                f"45{i:08d},学校{i},440104,小学,广州市学校{i},北京街,公办,王校长,13800138000\n"
            )
    return path


def _write_locked(db: Path) -> bool:
    """True while another connection holds SQLite's write lock (an import's transaction)."""
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return True
        raise
    else:
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()


def _stat(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except FileNotFoundError:
        return (0, 0)
    return (info.st_size, info.st_mtime_ns)


@pytest.mark.slow
def test_a_killed_import_leaves_the_database_unchanged_and_unlocked(
    cli: Cli, tmp_path: Path
) -> None:
    path = _write_big_csv(tmp_path / "big.csv", ROWS)
    db = tmp_path / "jj.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jjadmin", "school", "import", str(path), "--json"],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not _write_locked(db):
            assert proc.poll() is None, "the import ended before its transaction was seen"
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.02)
        # Inside the transaction: wait until it spills rows into the WAL, i.e. it is writing.
        wal = db.with_name(db.name + "-wal")
        baseline = _stat(wal)
        while _stat(wal) == baseline:
            assert proc.poll() is None, "the import committed before it was killed: raise ROWS"
            assert time.monotonic() < deadline, "the import never wrote a row"
            time.sleep(0.005)
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    assert cli.json("school", "list", "--limit", "1")["total"] == 0
    assert cli.json("batch", "list")["total"] == 0
    assert cli.json("db", "check")["integrity"] == "ok"
    assert not _write_locked(db)

    doc = cli.json("school", "import", str(path))
    assert (doc["ok"], doc["created"]) == (True, ROWS)
    assert cli.json("school", "list", "--limit", "1")["total"] == ROWS
