"""kill -9 at chosen points (jjadmin/faults.py) of every bulk or multi-step command: the
database is as before or as after, never between; no stale lock; the command then runs.

One world per backend (tests/reliability/world.py), copied per case. By default each command
is killed at its `quick` point on every backend; JJADMIN_TEST_FULL=1 (.ci/run) adds every
other point.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.reliability.kills import KILLS, NOT_KILLED, Kill
from tests.reliability.world import (
    World,
    copy_world,
    drop_copy,
    env_for,
    fingerprint,
    inputs,
    run_inprocess,
    run_process,
    write_lock_free,
)

CASES = [
    pytest.param(
        k,
        point,
        id=f"{k.command.replace(' ', '-')}@{point}",
        marks=[] if point == k.quick else [pytest.mark.slow],
    )
    for k in KILLS
    for point in k.points
]

_reference: dict[tuple[str, str], tuple[str, dict[str, int], int]] = {}
_inputs: dict[str, dict[str, Path]] = {}


def _files(world: World, tmp_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The input files, written once per world (an xlsx carries its creation time, and the
    batch its SHA-256: the reference run and the killed run read the same bytes)."""
    if world.url not in _inputs:
        _inputs[world.url] = inputs(world, tmp_factory.mktemp("inputs"))
    return _inputs[world.url]


def _argv(kill: Kill, world: World, files: dict[str, Path], tmp: Path) -> list[str]:
    return [*kill.command.split(), *kill.args(world, files, tmp), "--json"]


def _after(
    kill: Kill, world: World, files: dict[str, Path], tmp: Path
) -> tuple[str, dict[str, int], int]:
    """The database after the command ran undisturbed (once per command and world)."""
    key = (world.url, kill.command)
    if key not in _reference:
        ref = tmp / "reference"
        ref.mkdir(exist_ok=True)
        url = copy_world(world, ref, "ref")
        try:
            code, out, err = run_inprocess(
                _argv(kill, world, files, ref), env_for(url, ref, world.tokens[kill.who], kill.now)
            )
            assert code == 0, (kill.command, out, err)
            _reference[key] = (*fingerprint(url), code)
        finally:
            drop_copy(url)
    return _reference[key]


@pytest.mark.parametrize(("kill", "point"), CASES)
def test_a_kill_leaves_before_or_after_and_no_lock(
    world: World, kill: Kill, point: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    files = _files(world, tmp_path_factory)
    after_digest, after_counts, after_code = _after(kill, world, files, tmp_path)
    url = copy_world(world, tmp_path, "kill")
    try:
        before = fingerprint(url)
        env = env_for(url, tmp_path, world.tokens[kill.who], kill.now)
        env["JJADMIN_FAULTS"] = f"{point}=kill"
        argv = _argv(kill, world, files, tmp_path)
        code, out, err = run_process(argv, env)
        assert code == -signal.SIGKILL, f"{point} was never reached: exit {code}\n{out}\n{err}"

        now = fingerprint(url)
        assert write_lock_free(url), "a lock outlived the killed process"
        if point == "tx.after_commit":
            assert now[1] == after_counts and now != before
        else:
            assert now == before, f"killed at {point}, the database changed"
        for name in ("backup.db", "annual.xlsx"):  # a file is whole or absent, never torn
            assert not (tmp_path / name).exists(), f"killed at {point}, {name} was left"
        if now == before:
            del env["JJADMIN_FAULTS"]
            code, out, err = run_inprocess(argv, env)
            assert code == after_code, (out, err)
            digest, counts = fingerprint(url)
            assert counts == after_counts
            if world.backend == "sqlite":  # PostgreSQL's sequences moved on in the killed run
                assert digest == after_digest
    finally:
        drop_copy(url)


def _file_commands() -> set[str]:
    """Leaf commands of the live tree that read a file into the database."""
    from tests.reliability.tree import leaf_commands

    found = set()
    for path, params in leaf_commands():
        last = path.split()[-1]
        if last in ("template", "export"):
            continue  # they write a file, they read none
        if last.startswith("import") or "file" in params:
            found.add(path)
    return found


def test_every_bulk_command_of_the_tree_is_in_the_kill_table() -> None:
    killed = {k.command for k in KILLS}
    missing = sorted(_file_commands() - killed - set(NOT_KILLED))
    assert not missing, (
        f"commands reading a file, missing from tests/reliability/kills.py: {missing}"
    )


def test_fault_points_are_inert_without_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from jjadmin import faults

    monkeypatch.delenv("JJADMIN_FAULTS", raising=False)
    faults.point("tx.before_commit")  # nothing happens
    assert not faults.active()
