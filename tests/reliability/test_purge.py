"""`teacher purge 学号`: an archived teacher's personal data removed on request, audited;
refused while 在职 or while money or credits are open."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from jjadmin.db import make_engine
from tests.reliability.world import (
    SELECTING,
    World,
    copy_world,
    drop_copy,
    env_for,
    run_inprocess,
)


def _rows(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def test_an_archived_teacher_is_purged_once_nothing_is_open(world: World, tmp_path: Path) -> None:
    url = copy_world(world, tmp_path, "purge")
    env = env_for(url, tmp_path, world.tokens["city"], SELECTING)

    def jj(*args: str) -> tuple[int, str]:
        code, out, err = run_inprocess([*args, "--json"], env)
        return code, out + err

    t1, t4 = world.learner["t1"], world.learner["t4"]
    try:
        code, said = jj("teacher", "purge", t4, "--yes")
        assert code == 5 and "在职" in said  # archive first
        assert jj("teacher", "purge", t4)[0] == 2  # no --yes without a terminal
        assert jj("teacher", "archive", t1, t4, "--as", "离职")[0] == 0
        code, said = jj("teacher", "purge", t1, "--yes")
        assert code == 5 and "未缴费选课" in said  # t1's bill is unpaid

        ident = _rows(url, "SELECT id_number FROM teacher WHERE learner_no = :n", n=t4)[0][0]
        code, said = jj("teacher", "purge", t4, "--yes")
        assert code == 0, said
        assert json.loads(said.splitlines()[0])["learner_no"] == t4
        row = _rows(
            url,
            "SELECT name, id_number, mobile, email, address FROM teacher WHERE learner_no = :n",
            n=t4,
        )[0]
        assert row[0] == "已清除" and row[1].startswith("PURGED") and row[2] == "00000000000"
        assert row[3:] == (None, None)
        dump = repr(_rows(url, "SELECT * FROM audit_log")) + repr(
            _rows(url, "SELECT * FROM teacher_change")
        )
        assert ident not in dump and world.names["t4"] not in dump
        assert _rows(url, "SELECT count(*) FROM audit_log WHERE action = 'teacher.purge'") == [(1,)]
        assert jj("teacher", "purge", t4, "--yes")[0] == 5  # once
    finally:
        drop_copy(url)
