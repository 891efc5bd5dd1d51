"""Test-only fault points: pause or kill the process at a named point (JJADMIN_FAULTS).

Inert in production: when `JJADMIN_FAULTS` is unset, `point()` is one dictionary lookup and
no engine listener is installed. Tests set it to a list of `;`-separated rules:

    POINT[@N]=kill            SIGKILL this process at the N-th time POINT is reached (default 1)
    POINT[@N]=pause:DIR       at the N-th hit write DIR/reached.<POINT>.<pid>, then wait until
                              DIR/go exists (at most JJADMIN_FAULTS_WAIT seconds, default 120)
    *=log:FILE                append every point reached (POINT@N) to FILE, one a line

The points (docs/decisions.md, "Fault points"):
- `tx.begin` / `tx.start`: just before / after a write transaction begins (SQLite: BEGIN
  IMMEDIATE, i.e. before / after the write lock);
- `db.write`: after every INSERT, UPDATE, DELETE or COPY statement (each chunk of a bulk load);
- `tx.before_commit` / `tx.after_commit`: around the commit of `ServiceContext.transaction()`;
- named points inside the critical steps of the bulk and racing services: `import.locked`
  (the unit's import lock taken), `import.validated`, `import.applied`, `enroll.seats` (the
  courses' seats read), `transfer.decide`, `bill.pay`, `bill.generate`, `period.close`,
  `special_user.clear`, `batch.undo`, `db.backup`, `file.publish` (an export written whole,
  before it is renamed into place).
"""

from __future__ import annotations

import os
import signal
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

ENV = "JJADMIN_FAULTS"
_hits: dict[str, int] = {}


def active() -> bool:
    return bool(os.environ.get(ENV))


def point(name: str) -> None:
    """Reach fault point `name` (nothing happens unless JJADMIN_FAULTS names it)."""
    spec = os.environ.get(ENV)
    if spec:
        _reach(spec, name)


@lru_cache(maxsize=4)
def _rules(spec: str) -> tuple[tuple[str, int, str], ...]:
    rules = []
    for part in spec.split(";"):
        if "=" not in part:
            continue
        where, action = part.split("=", 1)
        name, _, nth = where.strip().partition("@")
        rules.append((name, int(nth) if nth else 1, action.strip()))
    return tuple(rules)


def _reach(spec: str, name: str) -> None:
    count = _hits[name] = _hits.get(name, 0) + 1
    for rule_name, nth, action in _rules(spec):
        if rule_name == "*" and action.startswith("log:"):
            with open(action[len("log:") :], "a", encoding="utf-8") as fh:
                fh.write(f"{name}@{count}\n")
            continue
        if rule_name != name or nth != count:
            continue
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(10)  # never reached: the signal cannot be caught
        elif action.startswith("pause:"):
            _pause(Path(action[len("pause:") :]), name)


def _pause(barrier: Path, name: str) -> None:
    (barrier / f"reached.{name}.{os.getpid()}").touch()
    deadline = time.monotonic() + float(os.environ.get("JJADMIN_FAULTS_WAIT", "120"))
    go = barrier / "go"
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.005)


def install(engine: Any, *, stage: str) -> None:
    """Fault points of an engine (only when active): stage "before" (call it before the
    engine's own "begin" listener: tx.begin, db.write), then stage "after" (tx.start)."""
    if not active():
        return
    from sqlalchemy import event

    def _before_begin(_conn: Any) -> None:
        point("tx.begin")

    def _after_begin(_conn: Any) -> None:
        point("tx.start")

    def _after_execute(_conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
        head = statement.lstrip()[:6].upper()
        if head in ("INSERT", "UPDATE", "DELETE") or head.startswith("COPY"):
            point("db.write")

    if stage == "before":
        event.listen(engine, "begin", _before_begin)
        event.listen(engine, "after_cursor_execute", _after_execute)
    else:
        event.listen(engine, "begin", _after_begin)
