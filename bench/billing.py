"""Billing at city scale: bill generate, import-payments, period close, special-user list.

Usage: .venv/bin/python bench/billing.py [--teachers 100000] [--schools 2000]
       [--per-teacher 10] [--pay 2000] [--repeat 3] [--no-pg] [--no-sqlite]

The bench city of bench/run.py (11 districts, 2,000 schools, 100,000 teachers, citygen's
60 全员培训 courses of period 2601, all charged by 广州市广播电视大学, 10 enrollments per
teacher = 1,000,000 enrollments) is written straight into a migrated database (DB-API
executemany on SQLite, COPY on PostgreSQL): loading is not what is measured. Its bills are
one per school: 2,000. Then, each step in a process of its own (start-up included), medians
and peak RSS:

  (a) bill generate --period 2601, the whole city (2,000 bills)        target ≤ 3 s
  (b) bill generate again (nothing changed)
  (c) bill import-payments of a 2,000-bill sheet (every bill)          target ≤ 1 s
  (d) period close 2601 after those payments (nobody to flag)          target ≤ 1 s
  (e) period close 2601 again (idempotent)
  (f) period close 2601 with nothing paid (every teacher flagged)      target ≤ 1 s
  (g) special-user list --json --limit 50 on 100,000 flags             target ≤ 0.3 s

`--units 3` spreads the courses over three charging units (6,000 smaller bills, of which
`--pay` are paid).

Every repeat restores the database from a snapshot taken after loading (SQLite: a file copy;
PostgreSQL: CREATE DATABASE … TEMPLATE). Peak RSS target ≤ 400 MB for every step.
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
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import citygen  # noqa: E402
from run import PASSWORD, PG, Step, init_db, jj, make_env, run_rss  # noqa: E402


def run_cpu(
    cmd: list[str], env: dict[str, str], *, ok: tuple[int, ...] = (0,)
) -> tuple[float, float, float, str]:
    """(wall s, CPU s of the process (user + sys), peak RSS MB, stdout): on a machine shared
    with other work the CPU time moves much less than the wall time (SQLite's work is all in
    the process; PostgreSQL's is in the server and not counted)."""
    import subprocess
    import threading

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks: dict[str, bytes] = {}

    def drain(name: str, stream: Any) -> None:
        chunks[name] = stream.read()

    threads = [
        threading.Thread(target=drain, args=("out", proc.stdout)),
        threading.Thread(target=drain, args=("err", proc.stderr)),
    ]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    for t in threads:
        t.join()
    code = os.waitstatus_to_exitcode(status)
    out = chunks.get("out", b"").decode("utf-8", "replace")
    if code not in ok:
        err = chunks.get("err", b"").decode("utf-8", "replace")
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{out[-1500:]}\n{err[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, out


UNITS = ("广州市广播电视大学", "广州市教师继续教育指导中心", "广州市教育研究院")
CREATED = "2026-03-01 00:00:00.000000"
SELECTED = "2026-04-01T10:00:00+08:00"  # after the selection window
PAYING = "2026-04-05T10:00:00+08:00"
CLOSING = "2026-04-16T02:00:00+08:00"  # after the payment deadline
TARGETS = {"a": 3.0, "c": 1.0, "d": 1.0, "e": 1.0, "f": 1.0, "g": 0.3}


def courses(n: int, units: int) -> list[tuple[Any, ...]]:
    """(id, code, name, fee, material_fee, unit) of citygen's 全员培训 catalogue: 60 or 120
    元, 20 元 of material every fifth course; charged by 广州市广播电视大学 as in the seed
    (`units` > 1 spreads them over more charging units: more, smaller bills)."""
    rows = []
    for i, c in enumerate(citygen.courses("2601", n)):
        fee, material = int(c[8]) * 100, int(c[9]) * 100
        rows.append((i + 1, c[1], c[2], fee, material, UNITS[i % units]))
    return rows


def city_rows(
    teachers: int, schools: int, n_courses: int, per_teacher: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], Callable[[], Iterator[tuple[Any, ...]]]]:
    school_rows = [
        (i + 1, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8])
        for i, r in enumerate(citygen.schools(schools))
    ]
    rng = random.Random(7)
    teacher_rows = []
    for i, r in enumerate(citygen.teachers(teachers, [s[1] for s in school_rows])):
        school_id = rng.randrange(schools) + 1
        teacher_rows.append(
            (i + 1, f"440126{i + 1:08d}", r[1], r[2], r[3], r[4], r[5], school_id, r[7], r[8])
        )
    school_of = [t[7] for t in teacher_rows]

    def enrollments() -> Iterator[tuple[Any, ...]]:
        eid = 0
        for t in range(teachers):
            for j in range(per_teacher):
                eid += 1
                yield (eid, (t + j * 7) % n_courses + 1, t + 1, school_of[t])

    return school_rows, teacher_rows, enrollments


SCHOOL_SQL = (
    "INSERT INTO school (id, code, name, district_code, school_type, seal_name, town, nature,"
    " head_name, head_mobile, version, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"
)
TEACHER_SQL = (
    "INSERT INTO teacher (id, learner_no, name, id_number, gender, birth_date, mobile, school_id,"
    " stage, subject, status, review_state, version, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '在职', 'normal', 1, ?, ?)"
)
PERIOD_SQL = (
    "INSERT INTO period (code, select_from, select_to, pay_by, created_at)"
    " VALUES ('2601', ?, ?, ?, ?)"
)
WINDOWS = ("2026-02-28 16:00:00.000000", "2026-03-31 15:59:59.000000", "2026-04-15 15:59:59.000000")
COURSE_SQL = (
    "INSERT INTO course (id, period, code, name, level, course_type, hour_type, hours, fee,"
    " material_fee, charging_unit, enrolled, status, approval, version, created_at, updated_at)"
    " VALUES (?, '2601', ?, ?, '全员培训', '远程', '专业科目', 24, ?, ?, ?, 0, '上线', 'approved',"
    " 1, ?, ?)"
)


def load_sqlite(path: Path, data: Any) -> None:
    school_rows, teacher_rows, enrollments = data
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    con.executemany(SCHOOL_SQL, [(*s, CREATED, CREATED) for s in school_rows])
    con.executemany(TEACHER_SQL, [(*t, CREATED, CREATED) for t in teacher_rows])
    con.execute(PERIOD_SQL, (*WINDOWS, CREATED))
    con.executemany(COURSE_SQL, [(*c, CREATED, CREATED) for c in data_courses])
    con.executemany(
        "INSERT INTO enrollment (id, period, course_id, teacher_id, school_id, state, paid,"
        " source, created_at) VALUES (?, '2601', ?, ?, ?, 'active', 0, 'import', ?)",
        ((*e, CREATED) for e in enrollments()),
    )
    con.execute(
        "UPDATE course SET enrolled = (SELECT count(*) FROM enrollment e"
        " WHERE e.course_id = course.id)"
    )
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()


def _pg_conninfo(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def load_pg(url: str, data: Any) -> None:
    import psycopg

    school_rows, teacher_rows, enrollments = data
    ts = "2026-03-01 00:00:00+00"
    with psycopg.connect(_pg_conninfo(url)) as conn:
        cur = conn.cursor()
        pg = lambda sql: sql.replace("?", "%s")  # noqa: E731
        cur.executemany(pg(SCHOOL_SQL), [(*s, ts, ts) for s in school_rows])
        with cur.copy(
            "COPY teacher (id, learner_no, name, id_number, gender, birth_date, mobile, school_id,"
            " stage, subject, status, review_state, version, created_at, updated_at) FROM STDIN"
        ) as copy:
            for t in teacher_rows:
                copy.write_row((*t, "在职", "normal", 1, ts, ts))
        cur.execute(
            pg(PERIOD_SQL),
            ("2026-03-01 00:00:00+08", "2026-03-31 23:59:59+08", "2026-04-15 23:59:59+08", ts),
        )
        cur.executemany(pg(COURSE_SQL), [(*c, ts, ts) for c in data_courses])
        with cur.copy(
            "COPY enrollment (id, period, course_id, teacher_id, school_id, state, paid, source,"
            " created_at) FROM STDIN"
        ) as copy:
            for e in enrollments():
                copy.write_row((e[0], "2601", e[1], e[2], e[3], "active", False, "import", ts))
        for table in ("school", "teacher", "course", "enrollment"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT max(id) FROM {table}))"
            )
        cur.execute(
            "UPDATE course SET enrolled = (SELECT count(*) FROM enrollment e"
            " WHERE e.course_id = course.id)"
        )
        conn.commit()
    with psycopg.connect(_pg_conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


data_courses: list[tuple[Any, ...]] = []


def token(env: dict[str, str], user: str, role: str) -> str:
    if user != "bench":
        run_rss(
            jj(
                "account",
                "add",
                user,
                "--role",
                role,
                "--name",
                "压测" + user,
                "--mobile",
                "13600136000",
                "--password-stdin",
            ),
            env,
            stdin=PASSWORD + "\n",
        )
    out = run_rss(jj("account", "token", user, "--json"), env)[2]
    return str(json.loads(out)["token"])


def payment_sheet(env: dict[str, str], path: Path, n: int) -> None:
    import xlsxwriter

    out = run_rss(jj("bill", "list", "--period", "2601", "--json", "--limit", "100000"), env)[2]
    items = json.loads(out)["items"]
    rng = random.Random(11)
    chosen = rng.sample(items, min(n, len(items)))
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet("缴费")
    ws.write_row(0, 0, ["账单号", "金额", "缴费日期", "票据号"])
    for i, item in enumerate(chosen, start=1):
        ws.write_row(i, 0, [item["bill_no"], item["amount"], "2026-04-05", f"P{i:06d}"])
    wb.close()


class Backend:
    """One database under test, restorable to the state right after loading."""

    name: str
    url: str

    def restore(self) -> None: ...

    def discard(self) -> None: ...


class SqliteBackend(Backend):
    def __init__(self, work: Path, data: Any) -> None:
        self.name = "SQLite"
        self.path = work / "billing.db"
        self.snap = work / "billing-loaded.db"
        for p in (self.path, self.snap):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{p}{suffix}").unlink(missing_ok=True)
        self.url = f"sqlite:///{self.path}"
        init_db(make_env(work, self.url))
        load_sqlite(self.path, data)
        con = sqlite3.connect(self.path)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        shutil.copy(self.path, self.snap)

    def restore(self) -> None:
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        shutil.copy(self.snap, self.path)


class PgBackend(Backend):
    def __init__(self, work: Path, data: Any) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        self.name = "PostgreSQL"
        base = make_url(PG)
        self.admin = base.set(database="postgres").render_as_string(hide_password=False)
        tag = uuid.uuid4().hex[:8]
        self.snap_name, self.db_name = f"jjbill_snap_{tag}", f"jjbill_{tag}"
        with psycopg.connect(_pg_conninfo(self.admin), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.snap_name}"')
        snap_url = base.set(database=self.snap_name).render_as_string(hide_password=False)
        init_db(make_env(work, snap_url))
        load_pg(snap_url, data)
        self.url = base.set(database=self.db_name).render_as_string(hide_password=False)
        self.restore()

    def _sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(_pg_conninfo(self.admin), autocommit=True) as conn:
            conn.execute(sql)

    def restore(self) -> None:
        self._sql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        self._sql(f'CREATE DATABASE "{self.db_name}" TEMPLATE "{self.snap_name}"')

    def discard(self) -> None:
        self._sql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        self._sql(f'DROP DATABASE IF EXISTS "{self.snap_name}" WITH (FORCE)')


cpus: dict[str, list[float]] = {}


def measure(backend: Backend, work: Path, repeat: int, pay: int) -> dict[str, Step]:
    steps: dict[str, Step] = {}

    def step(key: str, name: str) -> Step:
        return steps.setdefault(key, Step(f"{name}, {backend.name}"))

    def timed(key: str, name: str, env: dict[str, str], *args: str) -> str:
        t, cpu, rss, out = run_cpu(jj(*args), env)
        s = step(key, name)
        s.seconds.append(t)
        s.rss_mb.append(rss)
        cpus.setdefault(s.name, []).append(cpu)
        return out

    sheet = work / "payments.xlsx"
    for rep in range(repeat):
        backend.restore()
        env = make_env(work, backend.url)
        env["JJADMIN_SESSION_FILE"] = str(work / f"session-{uuid.uuid4().hex[:6]}.json")
        run_rss(jj("login", "bench", "--password-stdin"), env, stdin=PASSWORD + "\n")
        system = dict(env, JJADMIN_TOKEN=token(env, "cron", "system"))
        city = dict(env, JJADMIN_TOKEN=token(env, "bench", "city"))
        for e in (system, city):
            e["JJADMIN_NOW"] = SELECTED
        out = timed(
            "a",
            "(a) bill generate, whole city",
            system,
            "bill",
            "generate",
            "--period",
            "2601",
            "--json",
        )
        if rep == 0:
            print(f"  generate: {out.strip()}", file=sys.stderr)
        timed(
            "b",
            "(b) bill generate again, unchanged",
            system,
            "bill",
            "generate",
            "--period",
            "2601",
            "--json",
        )
        if rep == 0:
            payment_sheet(city, sheet, pay)
        city["JJADMIN_NOW"] = PAYING
        out = timed(
            "c",
            f"(c) bill import-payments, {pay} bills",
            city,
            "bill",
            "import-payments",
            str(sheet),
            "--json",
        )
        if rep == 0:
            doc = json.loads(out)
            print(f"  import: created {doc['created']}, matched {doc['matched']}", file=sys.stderr)
        system["JJADMIN_NOW"] = CLOSING
        out = timed(
            "d", "(d) period close after payments", system, "period", "close", "2601", "--json"
        )
        if rep == 0:
            print(f"  close: {out.strip()}", file=sys.stderr)
        timed(
            "e", "(e) period close again (idempotent)", system, "period", "close", "2601", "--json"
        )

    for rep in range(repeat):
        backend.restore()
        env = make_env(work, backend.url)
        env["JJADMIN_SESSION_FILE"] = str(work / f"session-{uuid.uuid4().hex[:6]}.json")
        run_rss(jj("login", "bench", "--password-stdin"), env, stdin=PASSWORD + "\n")
        system = dict(env, JJADMIN_TOKEN=token(env, "cron", "system"), JJADMIN_NOW=SELECTED)
        city = dict(env, JJADMIN_TOKEN=token(env, "bench", "city"), JJADMIN_NOW=CLOSING)
        run_rss(jj("bill", "generate", "--period", "2601", "--json"), system)
        system["JJADMIN_NOW"] = CLOSING
        out = timed(
            "f", "(f) period close, nothing paid", system, "period", "close", "2601", "--json"
        )
        flagged = json.loads(out)["flagged"]
        if rep == 0:
            print(f"  close, nothing paid: {out.strip()}", file=sys.stderr)
        for _ in range(max(5, repeat)):
            timed(
                "g",
                f"(g) special-user list --json --limit 50, {flagged} flags",
                city,
                "special-user",
                "list",
                "--json",
                "--limit",
                "50",
            )
            timed(
                "r",
                "(r) reference: teacher list --json --limit 50",
                city,
                "teacher",
                "list",
                "--json",
                "--limit",
                "50",
            )
    return steps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--teachers", type=int, default=100_000)
    ap.add_argument("--schools", type=int, default=2_000)
    ap.add_argument("--courses", type=int, default=60)
    ap.add_argument("--per-teacher", type=int, default=10)
    ap.add_argument("--pay", type=int, default=2_000)
    ap.add_argument("--units", type=int, default=1, choices=(1, 2, 3))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "out-billing")
    a = ap.parse_args()

    import compileall

    compileall.compile_dir(str(HERE.parent / "jjadmin"), quiet=1)
    work = a.out
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    data_courses.extend(courses(a.courses, a.units))
    print(
        f"building: {a.schools} schools, {a.teachers} teachers, "
        f"{a.teachers * a.per_teacher} enrollments …",
        file=sys.stderr,
    )
    data = city_rows(a.teachers, a.schools, a.courses, a.per_teacher)
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", file=sys.stderr)
    results: dict[str, Step] = {}
    backends: list[Callable[[], Backend]] = []
    if not a.no_sqlite:
        backends.append(lambda: SqliteBackend(work, data))
    if not a.no_pg:
        backends.append(lambda: PgBackend(work, data))
    for make in backends:
        t0 = time.perf_counter()
        backend = make()
        print(f"{backend.name}: loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        try:
            for key, s in measure(backend, work, a.repeat, a.pay).items():
                results[f"{backend.name}:{key}"] = s
        finally:
            backend.discard()
    load = os.getloadavg()
    buf = io.StringIO()
    print(
        f"\n{'step':<66} {'median s':>9} {'runs':>22} {'CPU s':>6} {'RSS MB':>7} target",
        file=buf,
    )
    for key, s in results.items():
        target = TARGETS.get(key.split(":")[1])
        runs = " / ".join(f"{x:.2f}" for x in s.seconds[:5])
        mark = ""
        if target is not None:
            mark = f"≤ {target:g} s " + ("met" if s.median <= target else "NOT met")
        cpu = statistics.median(cpus.get(s.name, [float("nan")]))
        print(
            f"{s.name:<66} {s.median:>9.2f} {runs:>22} {cpu:>6.2f} {s.peak:>7.0f} {mark}",
            file=buf,
        )
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", file=buf)
    print(buf.getvalue())
    (work / "results.json").write_text(
        json.dumps(
            {
                k: {"name": s.name, "median": s.median, "runs": s.seconds, "peak_rss_mb": s.peak}
                for k, s in results.items()
            },
            ensure_ascii=False,
            indent=1,
        ),
        "utf-8",
    )


if __name__ == "__main__":
    main()
