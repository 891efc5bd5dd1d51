"""THE kill table: every bulk or multi-step command, how to run it on the world, and the fault
points (jjadmin/faults.py) it passes. test_kill.py kills it at each point.

To add a command: one `Kill(...)` row. `quick` is the point run by default (`make test`);
the other points run under `-m slow` (.ci/run). A command of the live tree that reads a
file (`import…`, `--file`) and is in neither KILLS nor NOT_KILLED fails test_kill.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.helpers_billing import NEXT_DEADLINE
from tests.reliability.world import CLOSING, SELECTED, SELECTING, World

Args = Callable[[World, dict[str, Path], Path], list[str]]
IMPORT_POINTS = (
    "tx.start",
    "import.locked",
    "import.validated",
    "db.write@1",
    "db.write@2",
    "import.applied",
    "tx.before_commit",
    "tx.after_commit",
)


@dataclass(frozen=True)
class Kill:
    command: str
    args: Args
    points: tuple[str, ...]
    quick: str
    who: str = "city"
    now: str = SELECTING


def _points(named: str, *writes: int) -> tuple[str, ...]:
    """tx.start, the command's named point, the given writes (db.write@N), and the commit."""
    return (
        "tx.start",
        named,
        *(f"db.write@{n}" for n in writes),
        "tx.before_commit",
        "tx.after_commit",
    )


def _file(key: str, *extra: str) -> Args:
    return lambda w, f, tmp: [str(f[key]), *extra]


KILLS: tuple[Kill, ...] = (
    Kill("school import", _file("school"), IMPORT_POINTS, "import.applied"),
    Kill("teacher import", _file("teacher"), IMPORT_POINTS, "import.applied"),
    Kill("course import", _file("course"), IMPORT_POINTS, "import.applied"),
    Kill("enroll import", _file("enroll", "--period", "2601"), IMPORT_POINTS, "import.applied"),
    Kill("transfer import", _file("transfer"), IMPORT_POINTS, "import.applied"),
    Kill(
        "grade import",
        _file("grade", "--period", "2601"),
        IMPORT_POINTS,
        "import.applied",
        now=SELECTED,
    ),
    Kill("credits import", _file("declaration"), IMPORT_POINTS, "import.applied", who="school"),
    Kill(
        "bill import-payments",
        _file("payments"),
        _points("bill.pay", 1, 2, 6),
        "tx.before_commit",
        now="2026-04-05T10:00:00+08:00",
    ),
    Kill(
        "bill generate",
        lambda w, f, tmp: ["--period", "2601"],
        _points("bill.generate", 1, 2),
        "tx.before_commit",
        who="system",
        now=SELECTED,
    ),
    Kill(
        "period close",
        lambda w, f, tmp: ["2601"],
        _points("period.close", 1, 2, 6),  # PostgreSQL writes fewer statements than SQLite
        "tx.before_commit",
        now=CLOSING,
    ),
    Kill(
        "special-user clear",
        lambda w, f, tmp: [
            "--file",
            str(f["clear"]),
            "--school",
            "4401060001",
            "--seal-proof",
            str(f["proof"]),
        ],
        _points("special_user.clear", 1, 2, 5, 9),
        "tx.before_commit",
        now=(NEXT_DEADLINE.replace(day=20)).isoformat(),
    ),
    Kill(
        "batch undo",
        lambda w, f, tmp: ["1", "--yes"],
        _points("batch.undo", 1, 3, 5),
        "tx.before_commit",
    ),
    Kill(
        "credits annual",
        lambda w, f, tmp: ["--year", "2026", "--out", str(tmp / "annual.xlsx")],
        ("file.publish",),  # a read on the DB-API driver: no transaction, only the file
        "file.publish",
    ),
    Kill(
        "db backup",
        lambda w, f, tmp: [str(tmp / "backup.db")],
        ("db.backup",),
        "db.backup",
    ),
)

# Commands that read a file but write nothing a kill could tear (or are the credit/notice
# areas' own — listed by name so that nobody forgets them silently).
NOT_KILLED: dict[str, str] = {}
