"""A full disk (a small tmpfs): one clear line, nothing written, the database undamaged and
usable once there is room again."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers_school import school_row, write_csv
from tests.reliability.world import (
    SELECTING,
    World,
    env_for,
    fingerprint,
    run_inprocess,
    run_process,
    write_lock_free,
)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=700k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')[:100]}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def test_a_full_disk_is_one_clear_line_and_no_damage(
    world: World, small_disk: Path, tmp_path: Path
) -> None:
    if world.backend != "sqlite":
        pytest.skip("the database server's disk is the server's; SQLite's file is ours")
    db = small_disk / "jj.db"
    shutil.copyfile(world.url.removeprefix("sqlite:///"), db)
    url = f"sqlite:///{db}"
    env = env_for(url, tmp_path, world.tokens["city"], SELECTING)
    sheet = write_csv(tmp_path / "big.csv", [school_row(f"44010{i:05d}") for i in range(3000)])
    before = fingerprint(url)

    code, out, err = run_process(["school", "import", str(sheet)], env)
    lines = err.strip().splitlines()
    assert code == 10 and len(lines) == 1, err
    assert "磁盘空间已满" in lines[0] and "未写入任何数据" in lines[0]
    assert "Traceback" not in err and out == ""
    assert fingerprint(url) == before
    assert write_lock_free(url)
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)

    code, out, err = run_inprocess(["db", "backup", str(small_disk / "b.db")], env)
    assert code != 0 and "Traceback" not in err
    assert not (small_disk / "b.db").exists()

    shutil.move(str(db), tmp_path / "roomy.db")  # room again: the same import goes through
    for extra in ("-wal", "-shm"):
        side = small_disk / f"jj.db{extra}"
        if side.exists():
            shutil.move(str(side), tmp_path / f"roomy.db{extra}")
    env["JJADMIN_DATABASE_URL"] = f"sqlite:///{tmp_path / 'roomy.db'}"
    code, out, err = run_inprocess(["school", "import", str(sheet), "--json"], env)
    assert code == 0, err
