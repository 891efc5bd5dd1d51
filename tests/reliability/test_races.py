"""Deterministic races: real processes, held at fault-point barriers (jjadmin/faults.py).

Phase 1 holds every process at `tx.begin` (before any lock) until all have started; phase 2
releases them together and holds whoever reaches the race's critical point (the step after
the lock that guards it) for HOLD seconds, so that every process that *can* get there does.
With the locks in place one process is inside and the others wait at the lock; with a lock
removed or weakened (FOR UPDATE, BEGIN IMMEDIATE, the unit's import lock) they all get inside
at once and the race's check fails every time (docs/decisions.md, "Races that bite").

RACES is the table: one row per race, on every backend.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from jjadmin.db import make_engine, session_factory
from tests.reliability.world import (
    CLOSING,
    SELECTING,
    World,
    copy_world,
    drop_copy,
    env_for,
    inputs,
    run_inprocess,
)

HOLD = 1.0  # seconds the critical point stays closed after the first process got there
Result = tuple[int, dict[str, Any], str]  # exit code, JSON document, stderr


@dataclass(frozen=True)
class Race:
    name: str
    point: str  # the critical step, after the lock that guards it
    setup: Callable[[World, str, Path], list[tuple[str, str, list[str]]]]  # (who, now, argv)
    check: Callable[[World, str, list[Result]], None]


def _query(url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


# --- N processes into the last seat ------------------------------------------------------

SEAT_RACERS = ("t1", "t2", "t4")


def _seats_setup(world: World, url: str, tmp: Path) -> list[tuple[str, str, list[str]]]:
    from tests.helpers_courses import make_course

    engine = make_engine(url)
    with session_factory(engine)() as s:
        make_course(s, "2601", "LAST", capacity=1, fee=0)
        s.commit()
    engine.dispose()
    return [
        (
            "city",
            SELECTING,
            [
                "enroll",
                "add",
                "--period",
                "2601",
                "--course",
                "LAST",
                "--teachers",
                world.learner[t],
            ],
        )
        for t in SEAT_RACERS
    ]


def _seats_check(world: World, url: str, results: list[Result]) -> None:
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1, 1], results
    for code, doc, _ in results:
        if code == 1:
            assert {e["message"] for e in doc["errors"]} == {"课程 LAST 剩余名额 0，本次需 1"}
    ((enrolled, active),) = _query(
        url,
        "SELECT c.enrolled, (SELECT count(*) FROM enrollment e WHERE e.course_id = c.id"
        " AND e.state = 'active') FROM course c WHERE c.code = 'LAST'",
    )
    assert (enrolled, active) == (1, 1)


# --- the close racing a payment ----------------------------------------------------------


def _close_pay_setup(world: World, url: str, tmp: Path) -> list[tuple[str, str, list[str]]]:
    return [
        ("city", CLOSING, ["bill", "pay", world.bills["b1"], "--receipt", "RACE-1"]),
        ("system", CLOSING, ["period", "close", "2601"]),
    ]


def _close_pay_check(world: World, url: str, results: list[Result]) -> None:
    assert [code for code, _, _ in results] == [0, 0], results
    order = dict(
        _query(
            url,
            "SELECT action, min(id) FROM audit_log WHERE action IN ('bill.pay', 'period.close')"
            # the world closed 2602 already: only this race's close of 2601 counts
            " AND (action = 'bill.pay' OR target = '2601') GROUP BY action",
        )
    )
    t3_flagged = _query(
        url,
        "SELECT count(*) FROM special_user f JOIN teacher t ON t.id = f.teacher_id"
        " WHERE f.period = '2601' AND t.learner_no = :n",
        n=world.learner["t3"],
    )[0][0]
    unpaid = _query(
        url,
        "SELECT count(*) FROM enrollment e JOIN teacher t ON t.id = e.teacher_id"
        " WHERE e.period = '2601' AND t.learner_no = :n AND e.state = 'active' AND NOT e.paid",
        n=world.learner["t3"],
    )[0][0]
    if order["bill.pay"] < order["period.close"]:  # paid first: never flagged for it
        assert (t3_flagged, unpaid) == (0, 0)
    else:  # closed first: flagged, then the payment marks the enrollments paid
        assert (t3_flagged, unpaid) == (1, 0)


# --- two imports for one school ----------------------------------------------------------


def _imports_setup(world: World, url: str, tmp: Path) -> list[tuple[str, str, list[str]]]:
    sheet = str(inputs(world, tmp)["teacher"])  # 20 new teachers of a1
    return [("school", SELECTING, ["teacher", "import", sheet]) for _ in range(2)]


def _imports_check(world: World, url: str, results: list[Result]) -> None:
    codes = sorted(code for code, _, _ in results)
    created = sorted(doc.get("created", 0) for _, doc, _ in results)
    if world.backend == "postgres":  # the second meets the unit's lock: a clear exit 5
        assert codes == [0, 5], results
        assert created == [0, 20]
        loser = next(r for r in results if r[0] == 5)
        assert "本单位正在进行另一项导入" in loser[2]
    else:  # SQLite: the second waits for the first, then finds every row there
        assert codes == [0, 0] and created == [0, 20], results
    dup = _query(
        url,
        "SELECT count(*) FROM (SELECT id_number FROM teacher GROUP BY id_number"
        " HAVING count(*) > 1) d",
    )[0][0]
    assert dup == 0


# --- a transfer approved twice -----------------------------------------------------------


def _approve_setup(world: World, url: str, tmp: Path) -> list[tuple[str, str, list[str]]]:
    code, out, err = run_inprocess(
        ["transfer", "request", world.learner["t4"], "--to", "4401060001", "--json"],
        env_for(url, tmp, world.tokens["city"], SELECTING),
    )
    assert code == 0, (out, err)
    tid = str(json.loads(out)["id"])
    return [("city", SELECTING, ["transfer", "approve", tid]) for _ in range(2)]


def _approve_check(world: World, url: str, results: list[Result]) -> None:
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 5], results
    loser = next(r for r in results if r[0] == 5)
    assert "已批准" in loser[2], loser
    moves = _query(url, "SELECT count(*) FROM audit_log WHERE action = 'transfer.approve'")
    assert moves == [(1,)]


# --- two reviews of one declaration -----------------------------------------------------


def _review_setup(world: World, url: str, tmp: Path) -> list[tuple[str, str, list[str]]]:
    code, out, err = run_inprocess(
        [
            "credits", "declare", world.learner["t1"], "--year", "2026", "--project", "暑期研修",
            "--institution", "广州市教研院", "--from", "2026-03-01", "--to", "2026-03-02",
            "--hours", "8", "--hour-type", "专业科目", "--json",
        ],
        env_for(url, tmp, world.tokens["school"], SELECTING),
    )  # fmt: skip
    assert code == 0, (out, err)
    did = str(json.loads(out)["id"])
    return [("school", SELECTING, ["credits", "review", did, "--approve"]) for _ in range(2)]


def _review_check(world: World, url: str, results: list[Result]) -> None:
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 5], results
    reviews = _query(url, "SELECT count(*) FROM credit_review")
    assert reviews == [(1,)]


RACES: tuple[Race, ...] = (
    Race("last-seat", "enroll.seats", _seats_setup, _seats_check),
    Race("close-vs-payment", "bill.pay|period.close", _close_pay_setup, _close_pay_check),
    Race("two-imports-one-school", "import.validated", _imports_setup, _imports_check),
    Race("transfer-approved-twice", "transfer.decide", _approve_setup, _approve_check),
    Race("declaration-reviewed-twice", "credits.review", _review_setup, _review_check),
)


def run_race(world: World, race: Race, tmp: Path, url: str) -> tuple[list[Result], int]:
    """Start the racers; returns their results and how many were inside at once."""
    racers = race.setup(world, url, tmp)
    starting, critical = tmp / "starting", tmp / "critical"
    starting.mkdir()
    critical.mkdir()
    rules = [f"tx.begin=pause:{starting}"]
    rules += [f"{p}=pause:{critical}" for p in race.point.split("|")]
    procs = []
    for i, (who, now, argv) in enumerate(racers):
        env = env_for(url, tmp / f"p{i}", world.tokens[who], now)
        env["JJADMIN_FAULTS"] = ";".join(rules)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "jjadmin", *argv, "--json"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        _await(starting, len(procs), procs, timeout=90)
        (starting / "go").touch()
        _await(critical, 1, procs, timeout=60)
        deadline = time.monotonic() + HOLD
        while len(list(critical.glob("reached.*"))) < len(procs) and time.monotonic() < deadline:
            time.sleep(0.01)
        inside = len(list(critical.glob("reached.*")))
        (critical / "go").touch()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            results.append((p.returncode, json.loads(out) if out.strip() else {}, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return results, inside


def _await(
    barrier: Path, count: int, procs: list[subprocess.Popen[str]], *, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while len(list(barrier.glob("reached.*"))) < count:
        if any(p.poll() is not None for p in procs) and count > 1:
            break  # a racer ended before the barrier: its result tells why
        assert time.monotonic() < deadline, f"nobody reached {barrier.name}"
        time.sleep(0.01)


@pytest.mark.parametrize("race", RACES, ids=lambda r: r.name)
def test_a_race_has_one_winner_and_a_clear_answer(world: World, race: Race, tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"p{i}").mkdir()
    url = copy_world(world, tmp_path, "race")
    try:
        results, inside = run_race(world, race, tmp_path, url)
        race.check(world, url, results)  # the outcome users see, first
        assert inside == 1, f"{inside} processes were inside the critical step at once"
    finally:
        drop_copy(url)
