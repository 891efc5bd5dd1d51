"""Every command that changes state writes audit rows with actor, action and target (and
its batch, for an import) — checked over the live tree (tests/reliability/matrix.py gives
each command's call and who may make it), not by hand.

Each command runs once, in scope, as the first role the table allows, on a copy of the
world. When any table but the bookkeeping ones (NOT_STATE) changed, the audit log must have
grown by rows naming the actor, an action and a target.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from sqlalchemy import text

from jjadmin.db import make_engine
from tests.reliability.matrix import MATRIX
from tests.reliability.test_permission_matrix import NOW, _values
from tests.reliability.world import (
    World,
    copy_world,
    drop_copy,
    env_for,
    fingerprint,
    run_inprocess,
)

ORDER = ("city", "district", "school", "institution", "system", "teacher")
# Bookkeeping, not state a user changed: SMS codes, the audit itself (auth_token: only its
# automation tokens count, not sessions)
NOT_STATE = {"audit_log", "verification_code"}
P = "Passw0rd!"
# Calls that succeed in the world where the permission table's call is refused by the
# world's state: (args, role, now, stdin). The bulk commands come from the kill table.
SUCCEEDS: dict[str, tuple[str, str, str, str | None]] = {
    "account add": (
        "account add newuser --role school --school 4401040001 --name 新管理员"
        " --mobile 13900139123 --password-stdin",
        "city",
        "selecting",
        f"{P}\n",
    ),
    "special-user clear": (
        "special-user clear {t3} --evidence 本人持有效证件",
        "city",
        "closing",
        None,
    ),
    "bill pay": ("bill pay {b1} --receipt R-AUDIT", "city", "selected", None),
    "transfer request": ("transfer request {t4} --to 4401060001", "city", "selecting", None),
    "special-training apply": (
        "special-training apply C1 --teacher {t1}",
        "school",
        "selecting",
        None,
    ),
}
# Commands whose change is itself recorded elsewhere, with the reason.
EXEMPT: dict[str, str] = {
    "db init": "creates the schema; the first account's creation is audited when it happens",
    "db upgrade": "migrations: the schema's own version table",
}


def _role(command: str) -> str | None:
    who = MATRIX[command].who
    return next((r for r in ORDER if r in who), None)


def _cases() -> list[object]:
    return [
        pytest.param(c, id=c)
        for c in sorted(MATRIX)
        if _role(c) is not None and c not in EXEMPT and c.split()[0] not in ("login", "logout")
    ]


def _state(url: str) -> dict[str, str]:
    """Per table, a digest of its rows (NOT_STATE left out)."""
    digest, counts = fingerprint(url)
    engine = make_engine(url)
    out: dict[str, str] = {}
    try:
        with engine.connect() as conn:
            for table in counts:
                if table in NOT_STATE:
                    continue
                where = " WHERE kind = 'token'" if table == "auth_token" else ""
                rows = conn.execute(text(f'SELECT * FROM "{table}"{where} ORDER BY 1')).all()
                out[table] = repr(rows)
    finally:
        engine.dispose()
    return out


def _audit(url: str, after_id: int) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    text(
                        "SELECT actor, action, target_type, target, batch_id FROM audit_log"
                        " WHERE id > :i ORDER BY id"
                    ),
                    {"i": after_id},
                )
            ]
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", _cases())
def test_a_change_is_audited(world: World, command: str, tmp_path: Path) -> None:
    if world.backend != "sqlite":
        pytest.skip("the audit rows are the services', the same on every backend")
    url = copy_world(world, tmp_path, "audit")
    try:
        before = _state(url)
        last = max((r[0] for r in _raw(url, "SELECT id FROM audit_log")), default=0)
        argv, role, now, stdin = _call(world, command, tmp_path)
        code, out, err = run_inprocess(
            [*argv, "--json"], env_for(url, tmp_path, world.tokens[role], now), stdin=stdin
        )
        changed = sorted(t for t, rows in _state(url).items() if before.get(t) != rows)
        audit = _audit(url, last)
        if not changed:
            return  # nothing changed (a read, or a refusal): nothing to audit
        assert audit, f"{command} ({role}, exit {code}) changed {changed} without an audit row"
        for actor, action, _type, target, _batch in audit:
            assert actor and action and target, (command, audit)
        if command.split()[-1].startswith("import") and code == 0:
            assert any(b is not None for *_, b in audit), f"{command}: no batch in {audit}"
    finally:
        drop_copy(url)


def _call(world: World, command: str, tmp: Path) -> tuple[list[str], str, str, str | None]:
    from tests.reliability.kills import KILLS
    from tests.reliability.world import inputs

    for kill in KILLS:
        if kill.command == command:
            files = inputs(world, tmp)
            return [*command.split(), *kill.args(world, files, tmp)], kill.who, kill.now, None
    if command in SUCCEEDS:
        args, role, now, stdin = SUCCEEDS[command]
        names = {**world.learner, **world.bills}
        return shlex.split(args.format(**names)), role, NOW[now], stdin
    row = MATRIX[command]
    role = _role(command)
    assert role is not None
    argv = shlex.split(row.args.format(**_values(world, tmp, out_of_scope=False)))
    return argv, role, NOW[row.now], None


def _raw(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()
