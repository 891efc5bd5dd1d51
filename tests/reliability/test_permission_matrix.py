"""The permission matrix: every command of the live tree × 7 roles × in/out of scope, the
expected answers in ONE table (tests/reliability/matrix.py).

In scope: the roles of the row's `who` are not refused (any exit but 3, never 10); every
other role is refused with exit 3. Out of scope (a row with a target: {T} {S} {B} {U} {D}),
a scoped role gets 3 or 4, or 0 for a list — and in every answer (stdout, stderr, --json,
the file written) of a scoped role nothing names the other school's teacher or bill.

By default the SQLite world runs every cell (one copy of the world per cell); PostgreSQL
runs the same cells with JJADMIN_TEST_FULL=1 (.ci/run).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.reliability.conftest import FULL
from tests.reliability.matrix import MATRIX, ROLES, TARGETS, Row
from tests.reliability.world import (
    CLOSING,
    SELECTED,
    SELECTING,
    World,
    copy_world,
    drop_copy,
    env_for,
    run_inprocess,
)

SCOPED = ("district", "school", "institution", "teacher")
SCOPED_OUT = ("district", "school", "teacher")
READS = {"list", "show", "history", "lookup", "stats", "summary", "export"}
NOW = {"selecting": SELECTING, "selected": SELECTED, "closing": CLOSING}


def _values(world: World, tmp: Path, *, out_of_scope: bool) -> dict[str, str]:
    sheet = tmp / "sheet.csv"
    sheet.write_text("列一\n1\n", encoding="utf-8")
    pdf = tmp / "p.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    return {
        "T": world.learner["t3" if out_of_scope else "t1"],
        "S": "4401060001" if out_of_scope else "4401040001",
        "B": world.bills["b1" if out_of_scope else "a1"],
        "U": world.users["school_b1" if out_of_scope else "school"],
        "D": "440106" if out_of_scope else "440104",
        "C": "C1",
        "out": str(tmp / "out.xlsx"),
        "outpdf": str(tmp / "out.pdf"),
        "pdf": str(pdf),
        "xlsx": str(sheet),
    }


def _markers(world: World) -> list[str]:
    """What a scoped role of 越秀一小 / 越秀区 must never read: 天河一小's teacher and bill."""
    return [world.learner["t3"], world.names["t3"], world.bills["b1"]]


def run_cell(
    world: World, command: str, row: Row, role: str, tmp: Path, *, out: bool
) -> tuple[int, str]:
    url = copy_world(world, tmp, "cell")
    try:
        argv = shlex.split(row.args.format(**_values(world, tmp, out_of_scope=out)))
        token = world.tokens.get(role, "")
        env = env_for(url, tmp, token, NOW[row.now])
        if role == "anonymous":
            env["JJADMIN_TOKEN"] = ""
        code, stdout, stderr = run_inprocess([*argv, "--json"], env)
        if code == 2 and "--json" in stderr:  # a command without --json (none should be)
            code, stdout, stderr = run_inprocess(argv, env)
        text = stdout + stderr
        for written in (tmp / "out.xlsx", tmp / "out.pdf"):
            if written.exists():
                text += _file_text(written)
        return code, text
    finally:
        drop_copy(url)


def _file_text(path: Path) -> str:
    """The text of a file a command wrote (xlsx: its shared strings and sheets)."""
    import zipfile

    data = path.read_bytes()
    if data[:2] == b"PK":
        with zipfile.ZipFile(path) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if path.suffix == ".pdf":
        from tests.helpers_billing import pdf_text

        return pdf_text(path)
    return data.decode("utf-8", "replace")


def _cases() -> list[object]:
    cases = []
    for command, row in MATRIX.items():
        for role in ROLES:
            cases.append(pytest.param(command, role, False, id=f"{command}|{role}|in"))
            # the institution's other side (another institution's courses and bills) is not in
            # the world's targets: b1's bill and t3's C1 are 广播电视大学's own
            if role in SCOPED_OUT and role in row.who and any(t in row.args for t in TARGETS):
                cases.append(pytest.param(command, role, True, id=f"{command}|{role}|out"))
    return cases


@pytest.mark.parametrize(("command", "role", "out"), _cases())
def test_the_answer_is_the_table_s(
    world: World, command: str, role: str, out: bool, tmp_path: Path
) -> None:
    if world.backend != "sqlite" and not FULL:
        pytest.skip("PostgreSQL cells: JJADMIN_TEST_FULL=1 (.ci/run)")
    row = MATRIX[command]
    code, text = run_cell(world, command, row, role, tmp_path, out=out)
    assert code != 10, f"{command} as {role}: internal error\n{text}"
    if out:
        # refused (3, 4), or its input refused before any unit was looked at (1: the
        # password of a command that reads stdin), or a read that shows nothing of it
        allowed = (1, 3, 4, 0) if command.split()[-1] in READS else (1, 3, 4)
        assert code in allowed, f"{command} as {role} out of scope: exit {code}\n{text}"
    elif role in row.who:
        assert code != 3, f"{command} as {role}: refused, the table says allowed\n{text}"
    else:
        assert code == 3, f"{command} as {role}: exit {code}, the table says refused\n{text}"
    if (role in ("school", "teacher") or (role == "district" and out)) and not row.crosses:
        typed = set(shlex.split(row.args.format(**_values(world, tmp_path, out_of_scope=out))))
        leaked = [m for m in _markers(world) if m in text and m not in typed]
        assert not leaked, f"{command} as {role}: the other school's data leaked {leaked}"


def test_every_command_of_the_tree_is_in_the_table() -> None:
    from tests.reliability.tree import leaf_commands

    live = {path for path, _ in leaf_commands()}
    missing = sorted(live - set(MATRIX))
    stale = sorted(set(MATRIX) - live)
    assert not missing, f"commands missing from tests/reliability/matrix.py MATRIX: {missing}"
    assert not stale, f"rows for commands that no longer exist: {stale}"
