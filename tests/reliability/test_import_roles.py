"""Every file import refuses a role that may never run it (exit 3) before its file is read:
a teacher, or an admin of the wrong kind, with a broken sheet learns nothing of the sheet
(not its row errors, not that it is unreadable). The roles that may run it (the matrix's
`who`) get past the check: the unreadable file is then refused with exit 1."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.reliability.matrix import MATRIX, ROLES
from tests.reliability.test_permission_matrix import NOW, _values
from tests.reliability.world import World, copy_world, drop_copy, env_for, run_inprocess

MARK = "坏值XYZ"  # a cell of the broken sheet: must never be echoed to a refused role
SPECIAL_CLEAR = "special-user clear --file {xlsx} --school {S} --seal-proof {pdf}"
COMMANDS = {
    **{c: (row.args, row.who) for c, row in MATRIX.items() if "{xlsx}" in row.args},
    "special-user clear --file": (SPECIAL_CLEAR, frozenset({"city", "district"})),
}
SHEETS = {
    "unreadable": ("s.xlsx", b"PK\x03\x04 not a workbook"),
    "bad-rows": ("s.csv", f"列一,学号\n{MARK},{MARK}\n".encode()),
}


def _now(command: str) -> str:
    row = MATRIX.get(command)
    return NOW[row.now] if row is not None else NOW["selecting"]


def test_every_file_import_of_the_matrix_is_here() -> None:
    assert {"grade import", "credits import", "ability assess", "bill import-payments"} <= set(
        COMMANDS
    )


@pytest.mark.parametrize("sheet", sorted(SHEETS))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_role_that_may_not_import_is_refused_before_the_sheet_is_read(
    world: World, command: str, sheet: str, tmp_path: Path
) -> None:
    if world.backend != "sqlite":
        pytest.skip("one backend is enough: nothing is written")
    args, who = COMMANDS[command]
    name, data = SHEETS[sheet]
    values = _values(world, tmp_path, out_of_scope=False)
    path = tmp_path / name
    path.write_bytes(data)
    values["xlsx"] = str(path)
    argv = shlex.split(args.format(**values))
    url = copy_world(world, tmp_path, "cell")
    try:
        for role in ROLES:
            if role == "anonymous":
                continue
            env = env_for(url, tmp_path, world.tokens[role], _now(command))
            code, stdout, stderr = run_inprocess([*argv, "--json"], env)
            text = stdout + stderr
            if role in who:  # past the check: an unreadable file is exit 1, else not refused
                assert code == 1 if sheet == "unreadable" else code not in (3, 10), (
                    f"{command} as {role}, {sheet} sheet: exit {code}\n{text}"
                )
            else:
                assert code == 3, f"{command} as {role}, {sheet} sheet: exit {code}\n{text}"
                assert MARK not in text and '"errors"' not in text and '"row"' not in text, text
    finally:
        drop_copy(url)
