"""Terminal latency of the commands people wait on (issue 13): each command in a process of
its own, start-up included, median of N runs, against a database made by `make demo`
(or any URL with a logged-in session).

    .venv/bin/python bench/cli_latency.py [--db sqlite:///demo-out/jjadmin.db]
        [--session demo-out/session.json] [--repeat 5] [--now 2026-03-10T09:30:00+08:00]

Targets: `--help` ≤ 0.25 s, every list/show ≤ 0.4 s. A command that needs another login
(a teacher's `me …`) runs after `login` when --teacher is given. Rows: add yours to ROWS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELP = 0.25
READ = 0.4

# (label, argv, target seconds) — the most used first
ROWS: list[tuple[str, list[str], float]] = [
    ("--help", ["--help"], HELP),
    ("teacher --help", ["teacher", "--help"], HELP),
    ("whoami", ["whoami"], READ),
    ("teacher list", ["teacher", "list", "--limit", "50"], READ),
    ("teacher show", ["teacher", "show", "{learner_no}"], READ),
    ("enroll list", ["enroll", "list", "--limit", "50"], READ),
    ("enroll stats", ["enroll", "stats"], READ),
    ("course list", ["course", "list", "--limit", "50"], READ),
    ("course show", ["course", "show", "{course_code}"], READ),
    ("school list", ["school", "list"], READ),
    ("school show", ["school", "show", "{school_code}"], READ),
    ("period list", ["period", "list"], READ),
    ("period show", ["period", "show", "{period}"], READ),
    ("batch list", ["batch", "list"], READ),
    ("audit list", ["audit", "list", "--limit", "50"], READ),
    ("transfer list", ["transfer", "list"], READ),
    ("bill list", ["bill", "list"], READ),
    ("account list", ["account", "list"], READ),
    ("special-user list", ["special-user", "list"], READ),
    ("special-training list", ["special-training", "list"], READ),
    ("credits list", ["credits", "list", "--limit", "50"], READ),
    ("credits show", ["credits", "show", "{declaration}"], READ),
]


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "jjadmin", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    return time.perf_counter() - start, done.returncode


def _first(env: dict[str, str], argv: list[str], key: str) -> str:
    import json

    out = subprocess.run(
        [sys.executable, "-m", "jjadmin", *argv, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return str(json.loads(out.stdout)["items"][0][key])
    except (ValueError, KeyError, IndexError):
        return ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=f"sqlite:///{ROOT}/demo-out/jjadmin.db")
    parser.add_argument("--session", default=str(ROOT / "demo-out" / "session.json"))
    parser.add_argument("--now", default="2026-03-10T09:30:00+08:00")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    env = {
        **os.environ,
        "JJADMIN_DATABASE_URL": args.db,
        "JJADMIN_SESSION_FILE": args.session,
        "JJADMIN_NOW": args.now,
        "PYTHONPATH": str(ROOT),
    }
    values = {
        "learner_no": _first(env, ["teacher", "list", "--limit", "1"], "learner_no"),
        "course_code": _first(env, ["course", "list", "--limit", "1"], "course_code"),
        "school_code": _first(env, ["school", "list", "--limit", "1"], "school_code"),
        "period": _first(env, ["period", "list"], "period"),
        "declaration": _first(env, ["credits", "list", "--limit", "1"], "id"),
    }
    print(f"{'command':<22} {'median s':>9} {'target':>7}  exit")
    for label, argv, target in ROWS:
        argv = [a.format(**values) for a in argv]
        times, code = [], 0
        for _ in range(args.repeat):
            elapsed, code = _run(argv, env)
            times.append(elapsed)
        median = statistics.median(times)
        mark = "ok" if median <= target else "SLOW"
        print(f"{label:<22} {median:>9.3f} {target:>7.2f}  {code} {mark}")


if __name__ == "__main__":
    main()
