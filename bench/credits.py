"""Grades and credit verification at city scale.

Usage: .venv/bin/python bench/credits.py [--teachers 100000] [--schools 2000]
       [--ledger 10] [--repeat 3] [--no-pg] [--no-sqlite]

The bench city of bench/billing.py (11 districts, 2,000 schools, 100,000 teachers, 60
全员培训 courses of period 2601, 24 h 专业科目 each) with one active enrollment per teacher,
and a ledger of `--ledger` rows per teacher for 2026 (学时申报 rows of the three hour types:
1,000,000 rows), written straight into a migrated database. A 成绩 sheet grades every
enrollment (100,000 rows, 学号/课程编号/成绩/备注; one in ten fails). Each step in a process of
its own (start-up included), medians and peak RSS:

  (a) raw limit: python-calamine reads the sheet into tuples + executemany into a bare table
  (b) jjadmin grade import of the 100,000 rows (100,000 grades, ~90,000 ledger rows)
  (c) the same sheet again (nothing changes: every row skipped)
  (d) a re-grade sheet: every row's score changed (100,000 updates; 10,000 credits withdrawn,
      10,000 posted)
  (e) credits annual --year 2026 (terminal summary: 100,000 teachers, 1.1 M ledger rows)
  (f) credits annual --year 2026 --json (all 100,000 items)
  (g) credits annual --year 2026 --out annual.xlsx (SMS-verified session)
  (h) credits cycle --cycle 2026-2030
  (i) grade stats --period 2601

Every repeat restores the database from the snapshot taken after loading.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import billing  # noqa: E402
from billing import PgBackend, SqliteBackend, _pg_conninfo, run_cpu  # noqa: E402
from run import Step, jj, make_env, raw_limit, run_rss, verify  # noqa: E402

HOUR_TYPES = ("公需科目", "专业科目", "个人选修")
LEDGER_SQL = (
    "INSERT INTO credit_record (teacher_id, year, hours, hour_type, training_level, source,"
    " source_ref, title, created_at) VALUES (?, 2026, ?, ?, '全员培训', 'declaration', ?, ?, ?)"
)
TARGETS = {"e": 2.0, "f": 4.0, "g": 5.0, "h": 2.0}


def ledger_rows(teachers: int, per: int) -> Any:
    for t in range(1, teachers + 1):
        for j in range(per):
            yield (t, 6 + (t + j) % 4, HOUR_TYPES[j % 3], str(j + 1), f"学时申报{j + 1}")


def load_ledger_sqlite(path: Path, teachers: int, per: int) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    con.executemany(LEDGER_SQL, ((*r, billing.CREATED) for r in ledger_rows(teachers, per)))
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def load_ledger_pg(url: str, teachers: int, per: int) -> None:
    import psycopg

    ts = "2026-03-01 00:00:00+00"
    with psycopg.connect(_pg_conninfo(url)) as conn:
        with conn.cursor().copy(
            "COPY credit_record (teacher_id, year, hours, hour_type, training_level, source,"
            " source_ref, title, created_at) FROM STDIN"
        ) as copy:
            for t, hours, kind, ref, title in ledger_rows(teachers, per):
                copy.write_row((t, 2026, hours, kind, "全员培训", "declaration", ref, title, ts))
        conn.commit()
    with psycopg.connect(_pg_conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE credit_record")


def grade_sheet(path: Path, teachers: int, *, regrade: bool) -> None:
    """Every teacher's one enrollment (course (t - 1) % n + 1, as billing.city_rows makes
    it), scored; one in ten fails (`regrade`: the other one in ten)."""
    import xlsxwriter

    rng = random.Random(5 if regrade else 3)
    codes = [c[1] for c in billing.data_courses]
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("成绩")
    ws.write_row(0, 0, ["学号", "课程编号", "成绩", "备注"])
    for t in range(1, teachers + 1):
        fails = t % 10 == (5 if regrade else 0)
        score = rng.randint(20, 59) if fails else rng.randint(60, 100)
        ws.write_string(t, 0, f"440126{t:08d}")
        ws.write_string(t, 1, codes[(t - 1) % len(codes)])
        ws.write_number(t, 2, score)
    wb.close()


class SqliteLedger(SqliteBackend):
    def __init__(self, work: Path, data: Any, teachers: int, per: int) -> None:
        super().__init__(work, data)
        load_ledger_sqlite(self.path, teachers, per)
        shutil.copy(self.path, self.snap)


class PgLedger(PgBackend):
    def __init__(self, work: Path, data: Any, teachers: int, per: int) -> None:
        super().__init__(work, data)
        snap = self.url.replace(self.db_name, self.snap_name)
        load_ledger_pg(snap, teachers, per)
        self.restore()


cpus: dict[str, list[float]] = {}


def measure(backend: Any, work: Path, repeat: int, sheets: dict[str, Path]) -> dict[str, Step]:
    steps: dict[str, Step] = {}

    def timed(
        key: str, name: str, env: dict[str, str], *args: str, ok: tuple[int, ...] = (0,)
    ) -> str:
        t, cpu, rss, out = run_cpu(jj(*args), env, ok=ok)
        s = steps.setdefault(key, Step(f"{name}, {backend.name}"))
        s.seconds.append(t)
        s.rss_mb.append(rss)
        cpus.setdefault(s.name, []).append(cpu)
        return out

    for i in range(repeat):
        if i:
            backend.restore()
        env = make_env(work, backend.url)
        run_rss(jj("login", "bench", "--password-stdin"), env, stdin="Bench2026pass\n")
        grade = str(sheets["grade"])
        out = timed(
            "b",
            "(b) grade import, 100k rows",
            env,
            "grade",
            "import",
            grade,
            "--period",
            "2601",
            "--json",
        )
        doc = json.loads(out)
        assert doc["created"] == len_rows(sheets) and doc["ok"], doc
        timed(
            "c",
            "(c) grade import again (unchanged)",
            env,
            "grade",
            "import",
            grade,
            "--period",
            "2601",
            "--json",
        )
        timed(
            "d",
            "(d) re-grade every row",
            env,
            "grade",
            "import",
            str(sheets["regrade"]),
            "--period",
            "2601",
            "--json",
        )
        timed(
            "e",
            "(e) credits annual --year 2026 (summary)",
            env,
            "credits",
            "annual",
            "--year",
            "2026",
        )
        out = timed(
            "f",
            "(f) credits annual --year 2026 --json",
            env,
            "credits",
            "annual",
            "--year",
            "2026",
            "--json",
        )
        assert json.loads(out)["total"] == len_rows(sheets)
        verify(env, work)
        target = work / f"annual-{i}.xlsx"
        timed(
            "g",
            "(g) credits annual --out xlsx",
            env,
            "credits",
            "annual",
            "--year",
            "2026",
            "--out",
            str(target),
            "--overwrite",
        )
        timed(
            "h",
            "(h) credits cycle --cycle 2026-2030",
            env,
            "credits",
            "cycle",
            "--cycle",
            "2026-2030",
        )
        timed("i", "(i) grade stats --period 2601", env, "grade", "stats", "--period", "2601")
    return steps


_ROWS: dict[str, int] = {}


def len_rows(sheets: dict[str, Path]) -> int:
    return _ROWS["n"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--teachers", type=int, default=100_000)
    ap.add_argument("--schools", type=int, default=2_000)
    ap.add_argument("--courses", type=int, default=60)
    ap.add_argument("--ledger", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "out-credits")
    a = ap.parse_args()

    import compileall

    compileall.compile_dir(str(HERE.parent / "jjadmin"), quiet=1)
    work = a.out
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    billing.data_courses.extend(billing.courses(a.courses, 1))
    _ROWS["n"] = a.teachers
    print(f"building: {a.schools} schools, {a.teachers} teachers …", file=sys.stderr)
    data = billing.city_rows(a.teachers, a.schools, a.courses, 1)
    sheets = {"grade": work / "grades.xlsx", "regrade": work / "regrades.xlsx"}
    grade_sheet(sheets["grade"], a.teachers, regrade=False)
    grade_sheet(sheets["regrade"], a.teachers, regrade=True)
    raws = [raw_limit(sheets["grade"], 4) for _ in range(a.repeat)]
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", file=sys.stderr)
    results: dict[str, Step] = {"raw": Step("(a) raw limit, 100k-row grade sheet", raws)}
    backends: list[Callable[[], Any]] = []
    if not a.no_sqlite:
        backends.append(lambda: SqliteLedger(work, data, a.teachers, a.ledger))
    if not a.no_pg:
        backends.append(lambda: PgLedger(work, data, a.teachers, a.ledger))
    for make in backends:
        t0 = time.perf_counter()
        backend = make()
        print(f"{backend.name}: loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        try:
            for key, s in measure(backend, work, a.repeat, sheets).items():
                results[f"{backend.name}:{key}"] = s
        finally:
            backend.discard()
    load = os.getloadavg()
    buf = io.StringIO()
    raw = results["raw"].median
    print(f"\n{'step':<52} {'median s':>9} {'runs':>22} {'CPU s':>6} {'RSS MB':>7} note", file=buf)
    for key, s in results.items():
        runs = " / ".join(f"{x:.2f}" for x in s.seconds[:5])
        step = key.split(":")[-1]
        note = ""
        if step in ("b", "c", "d"):
            note = f"{s.median / raw:.2f}× raw"
        if step in TARGETS:
            note = f"≤ {TARGETS[step]:g} s " + ("met" if s.median <= TARGETS[step] else "NOT met")
        cpu = statistics.median(cpus.get(s.name, [float("nan")]))
        peak = s.peak if s.rss_mb else float("nan")
        print(f"{s.name:<52} {s.median:>9.2f} {runs:>22} {cpu:>6.2f} {peak:>7.0f} {note}", file=buf)
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", file=buf)
    print(buf.getvalue())
    (work / "results.json").write_text(
        json.dumps(
            {
                k: {"name": s.name, "median": s.median, "runs": s.seconds}
                for k, s in results.items()
            },
            ensure_ascii=False,
            indent=1,
        ),
        "utf-8",
    )


if __name__ == "__main__":
    main()
