"""City-scale benchmark: builds a city as xlsx and measures jjadmin against the raw limit.

Usage: .venv/bin/python bench/run.py [--teachers 100000] [--schools 2000] [--repeat 3]
       [--enroll-per-teacher 5] [--no-pg] [--skip-enroll]

Prints one table of medians (seconds) and peak RSS (MB) per step, and the ratios the issues
set as targets. Everything runs in processes of its own, start-up included.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import citygen  # noqa: E402

PY = sys.executable
PG = os.environ.get("JJADMIN_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NOW = "2026-03-10T10:00:00+08:00"
PASSWORD = "Bench2026pass"


@dataclass
class Step:
    name: str
    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def peak(self) -> float:
        return max(self.rss_mb) if self.rss_mb else float("nan")


def run(
    cmd: list[str], env: dict[str, str], *, stdin: str | None = None, check: bool = True
) -> tuple[float, float, str]:
    """Run a process; return (wall seconds, peak RSS MB, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate(stdin)
    elapsed = time.perf_counter() - t0
    # ru_maxrss of the finished child (KB on Linux) via wait4 is gone after communicate();
    # use RUSAGE_CHILDREN deltas instead (max over children so far), so measure in a helper.
    if check and proc.returncode not in (0,):
        raise SystemExit(
            f"failed ({proc.returncode}): {' '.join(cmd)}\n{out[-2000:]}\n{err[-2000:]}"
        )
    return elapsed, 0.0, out


def run_rss(
    cmd: list[str], env: dict[str, str], *, stdin: str | None = None, ok: tuple[int, ...] = (0,)
) -> tuple[float, float, str]:
    """Run a process and read its own peak RSS with os.wait4."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    if stdin:
        proc.stdin.write(stdin.encode())
    proc.stdin.close()
    import threading

    chunks: dict[str, bytes] = {}

    def drain(name: str, stream: object) -> None:
        chunks[name] = stream.read()  # type: ignore[attr-defined]

    threads = [
        threading.Thread(target=drain, args=("out", proc.stdout)),
        threading.Thread(target=drain, args=("err", proc.stderr)),
    ]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    for t in threads:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = chunks.get("out", b"").decode("utf-8", "replace")
    if proc.returncode not in ok:
        err = chunks.get("err", b"").decode("utf-8", "replace")
        raise SystemExit(
            f"failed ({proc.returncode}): {' '.join(cmd)}\n{out[-1500:]}\n{err[-3000:]}"
        )
    return elapsed, usage.ru_maxrss / 1024.0, out


def jj(*args: str) -> list[str]:
    return [PY, "-m", "jjadmin", *args]


def make_env(work: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "JJADMIN_DATABASE_URL": url,
            "JJADMIN_SESSION_FILE": str(work / "session.json"),
            "JJADMIN_SMS": f"file:{work / 'sms.jsonl'}",
            "JJADMIN_NOW": NOW,
            "JJADMIN_LOG_DIR": str(work / "logs"),
            "COLUMNS": "160",
        }
    )
    env.pop("JJADMIN_TOKEN", None)
    return env


def init_db(env: dict[str, str]) -> None:
    run_rss(
        jj(
            "db",
            "init",
            "--admin",
            "bench",
            "--name",
            "压测",
            "--mobile",
            "13800138000",
            "--password-stdin",
        ),
        env,
        stdin=PASSWORD + "\n",
    )
    run_rss(jj("login", "bench", "--password-stdin"), env, stdin=PASSWORD + "\n")


def verify(env: dict[str, str], work: Path) -> None:
    run_rss(jj("verify", "send"), env)
    code = json.loads((work / "sms.jsonl").read_text("utf-8").splitlines()[-1])["code"]
    run_rss(jj("verify", "check", code), env)


def raw_limit(path: Path, cols: int) -> float:
    """Fastest reader into tuples + plain executemany into a bare SQLite table."""
    from python_calamine import CalamineWorkbook

    t0 = time.perf_counter()
    wb = CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    data = [tuple(r) for r in rows[1:]]
    db = path.parent / f"raw-{uuid.uuid4().hex[:6]}.db"
    con = sqlite3.connect(db)
    con.execute(f"CREATE TABLE t ({', '.join(f'c{i}' for i in range(cols))})")
    con.executemany(f"INSERT INTO t VALUES ({', '.join('?' * cols)})", data)
    con.commit()
    con.close()
    elapsed = time.perf_counter() - t0
    db.unlink()
    return elapsed


def pg_url() -> str | None:
    try:
        import psycopg
        from sqlalchemy.engine import make_url
    except ImportError:
        return None
    base = make_url(PG)
    name = f"jjbench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(
            host=base.host,
            port=base.port or 5432,
            user=base.username,
            dbname="postgres",
            autocommit=True,
            connect_timeout=3,
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - report and go on without PostgreSQL
        print(f"PostgreSQL not available: {exc}", file=sys.stderr)
        return None
    return base.set(database=name).render_as_string(hide_password=False)


def drop_pg(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    with psycopg.connect(
        host=u.host, port=u.port or 5432, user=u.username, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')


def pg_enroll(env: dict[str, str], work: Path, steps: dict[str, Step], step: Any) -> None:
    """On a PostgreSQL city that has its roster: the enrollment import and the reads."""
    verify(env, work)
    run_rss(jj("period", "create", "2601", "--select-from", "2026-03-01", "--select-to",
               "2026-03-20", "--pay-by", "2026-04-10"), env)  # fmt: skip
    run_rss(jj("course", "import", str(work / "courses.xlsx")), env)
    t, rss, _ = run_rss(jj("enroll", "import", str(work / "enroll.xlsx"), "--period", "2601"), env)
    s = step("pe", "(h-pg) enroll import, PostgreSQL")
    s.seconds.append(t)
    s.rss_mb.append(rss)
    some = json.loads(run_rss(jj("teacher", "list", "--json", "--limit", "50"), env)[2])
    learner = some["items"][len(some["items"]) // 2]["learner_no"]
    stats = ["enroll", "stats", "--period", "2601", "--by", "school", "--json"]
    reads = [
        ("pf1", "(f-pg) teacher list --json", ["teacher", "list", "--json"]),
        ("pf2", "(f-pg) teacher show 学号", ["teacher", "show", learner]),
        ("pes", "(i-pg) enroll stats --by school", stats),
    ]
    for _ in range(3):
        for key, name, args in reads:
            t, rss, _ = run_rss(jj(*args), env)
            s = step(key, name)
            s.seconds.append(t)
            s.rss_mb.append(rss)


def run_province(a: argparse.Namespace) -> None:
    import compileall

    import province

    compileall.compile_dir(str(HERE.parent / "jjadmin"), quiet=1)
    work = a.out / "province"
    work.mkdir(parents=True, exist_ok=True)
    url = a.province_url or pg_url()
    if url is None:
        raise SystemExit("--province needs PostgreSQL")
    keep = a.keep or a.province_url is not None
    try:
        env = make_env(work, url)
        took: dict[str, float] = {}
        if a.province_url is None:
            init_db(env)
            from sqlalchemy.engine import make_url

            u = make_url(url)
            dsn = f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"
            print(f"building a province in {u.database} …", file=sys.stderr)
            took = province.build(
                dsn,
                a.province_teachers,
                a.province_enrollments,
                lambda m: print(m, file=sys.stderr),
            )
        else:
            run_rss(jj("login", "bench", "--password-stdin"), env, stdin=PASSWORD + "\n")
        results = province.measure(lambda args: run_rss(jj(*args), env), max(a.repeat, 3))
        province.report(took, results, work / "results.json")
    finally:
        if not keep:
            drop_pg(url)
        else:
            print(f"kept: {url}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--teachers", type=int, default=100_000)
    ap.add_argument("--schools", type=int, default=2_000)
    ap.add_argument("--courses", type=int, default=60)
    ap.add_argument("--enroll-per-teacher", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--skip-enroll", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--province", action="store_true", help="1.2M teachers, 10M enrollments, PG")
    ap.add_argument("--province-teachers", type=int, default=1_200_000)
    ap.add_argument("--province-enrollments", type=int, default=10_000_000)
    ap.add_argument("--keep", action="store_true", help="keep the province database")
    ap.add_argument("--province-url", help="measure a province kept earlier (no build)")
    a = ap.parse_args()
    if a.province:
        run_province(a)
        return

    # Measure jjadmin as installed: pip compiles bytecode at install time, while an editable
    # checkout under PYTHONDONTWRITEBYTECODE=1 would recompile every module on every start.
    import compileall

    compileall.compile_dir(str(HERE.parent / "jjadmin"), quiet=1)

    work = a.out
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    steps: dict[str, Step] = {}

    def step(key: str, name: str) -> Step:
        return steps.setdefault(key, Step(name))

    print(f"building a city: {a.schools} schools, {a.teachers} teachers …", file=sys.stderr)
    school_rows = citygen.schools(a.schools)
    citygen.write_xlsx(work / "schools.xlsx", citygen.SCHOOL_HEADERS, school_rows)
    codes = [str(r[0]) for r in school_rows]
    citygen.write_xlsx(
        work / "teachers.xlsx", citygen.TEACHER_HEADERS, citygen.teachers(a.teachers, codes)
    )
    citygen.write_xlsx(
        work / "courses.xlsx", citygen.COURSE_HEADERS, citygen.courses("2601", a.courses)
    )

    for _ in range(a.repeat):
        step("a", "(a) raw limit: calamine → tuples → executemany").seconds.append(
            raw_limit(work / "teachers.xlsx", len(citygen.TEACHER_HEADERS))
        )

    backends = [("sqlite", f"sqlite:///{work / 'city.db'}")]
    for rep in range(a.repeat):
        db = work / "city.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env = make_env(work, backends[0][1])
        init_db(env)
        run_rss(jj("school", "import", str(work / "schools.xlsx")), env)
        t, rss, _ = run_rss(jj("teacher", "import", str(work / "teachers.xlsx")), env)
        s = step("b", "(b) teacher import, SQLite")
        s.seconds.append(t)
        s.rss_mb.append(rss)
        t, rss, _ = run_rss(jj("teacher", "import", str(work / "teachers.xlsx")), env)
        s = step("d", "(d) re-import unchanged file, SQLite")
        s.seconds.append(t)
        s.rss_mb.append(rss)
        if rep == a.repeat - 1:
            break

    env = make_env(work, backends[0][1])
    verify(env, work)
    for _ in range(a.repeat):
        out = work / "export.xlsx"
        out.unlink(missing_ok=True)
        t, rss, _ = run_rss(jj("teacher", "export", str(out)), env)
        s = step("e", "(e) teacher export, 100k rows")
        s.seconds.append(t)
        s.rss_mb.append(rss)
    some = json.loads(run_rss(jj("teacher", "list", "--json", "--limit", "50"), env)[2])
    learner = some["items"][len(some["items"]) // 2]["learner_no"]
    for _ in range(max(5, a.repeat)):
        t, rss, _ = run_rss(jj("teacher", "list", "--json", "--limit", "50"), env)
        s = step("f1", "(f) teacher list --json --limit 50")
        s.seconds.append(t)
        s.rss_mb.append(rss)
        t, rss, _ = run_rss(jj("teacher", "show", learner), env)
        s = step("f2", "(f) teacher show 学号")
        s.seconds.append(t)
        s.rss_mb.append(rss)
    for _ in range(max(5, a.repeat)):
        t, rss, _ = run_rss([PY, "-c", "pass"], env)
        step("py", "python start-up alone").seconds.append(t)

    if not a.skip_enroll:
        con = sqlite3.connect(work / "city.db")
        learners = [r[0] for r in con.execute("SELECT learner_no FROM teacher ORDER BY id")]
        con.close()
        course_codes = [f"C2601{i:04d}" for i in range(a.courses)]
        k = a.enroll_per_teacher

        def enroll_rows():  # type: ignore[no-untyped-def]
            for i, ln in enumerate(learners):
                for j in range(k):
                    yield [ln, course_codes[(i + j * 7) % len(course_codes)]]

        n = citygen.write_xlsx(work / "enroll.xlsx", ["学号", "课程编号"], enroll_rows())

        def course_major():  # type: ignore[no-untyped-def]
            # the order a city export has: course by course, teachers in file order
            by_course: dict[str, list[str]] = {}
            for ln, code in enroll_rows():
                by_course.setdefault(code, []).append(ln)
            for code in course_codes:
                for ln in by_course.get(code, ()):
                    yield [ln, code]

        def with_bad_rows():  # type: ignore[no-untyped-def]
            # 3,000 rows naming a 学号 nobody has, spread over the sheet
            step_every = max(n // 3000, 1)
            for i, row in enumerate(enroll_rows()):
                yield ["44012699999999", row[1]] if i % step_every == 0 else row

        citygen.write_xlsx(work / "enroll-cm.xlsx", ["学号", "课程编号"], course_major())
        citygen.write_xlsx(work / "enroll-bad.xlsx", ["学号", "课程编号"], with_bad_rows())
        for _ in range(a.repeat):
            step("ea", f"(g) raw limit, {n} enrollment rows").seconds.append(
                raw_limit(work / "enroll.xlsx", 2)
            )
        run_rss(
            jj(
                "period",
                "create",
                "2601",
                "--select-from",
                "2026-03-01",
                "--select-to",
                "2026-03-20",
                "--pay-by",
                "2026-04-10",
            ),
            env,
        )
        run_rss(jj("course", "import", str(work / "courses.xlsx")), env)
        base = work / "city.db"
        snap = work / "city-before-enroll.db"
        con = sqlite3.connect(base)
        dst = sqlite3.connect(snap)
        con.backup(dst)
        dst.close()
        con.close()
        for rep in range(a.repeat):
            if rep:
                for suffix in ("-wal", "-shm"):
                    Path(f"{base}{suffix}").unlink(missing_ok=True)
                shutil.copy(snap, base)
            t, rss, _ = run_rss(
                jj("enroll", "import", str(work / "enroll.xlsx"), "--period", "2601"), env
            )
            s = step("eb", f"(h) enroll import, {n} rows, SQLite")
            s.seconds.append(t)
            s.rss_mb.append(rss)
        for _ in range(a.repeat):
            for suffix in ("-wal", "-shm"):
                Path(f"{base}{suffix}").unlink(missing_ok=True)
            shutil.copy(snap, base)
            t, rss, _ = run_rss(
                jj("enroll", "import", str(work / "enroll-cm.xlsx"), "--period", "2601"), env
            )
            s = step("ec", "(h2) enroll import, course-major order, SQLite")
            s.seconds.append(t)
            s.rss_mb.append(rss)
        for _ in range(a.repeat):
            for suffix in ("-wal", "-shm"):
                Path(f"{base}{suffix}").unlink(missing_ok=True)
            shutil.copy(snap, base)
            errors_to = work / "enroll-errors.xlsx"
            errors_to.unlink(missing_ok=True)
            t, rss, _ = run_rss(
                jj(
                    "enroll",
                    "import",
                    str(work / "enroll-bad.xlsx"),
                    "--period",
                    "2601",
                    "--errors-to",
                    str(errors_to),
                ),
                env,
                ok=(1,),
            )
            s = step("ej", "(j) enroll import, 3,000 bad rows, --errors-to")
            s.seconds.append(t)
            s.rss_mb.append(rss)
        # (i) reads the city with the clean sheet imported
        for suffix in ("-wal", "-shm"):
            Path(f"{base}{suffix}").unlink(missing_ok=True)
        shutil.copy(snap, base)
        run_rss(jj("enroll", "import", str(work / "enroll.xlsx"), "--period", "2601"), env)
        for by in ("course", "school", "district"):
            for _ in range(max(3, a.repeat)):
                t, rss, _ = run_rss(
                    jj("enroll", "stats", "--period", "2601", "--by", by, "--json"), env
                )
                s = step(f"es{by}", f"(i) enroll stats --by {by}")
                s.seconds.append(t)
                s.rss_mb.append(rss)

    if not a.no_pg:
        for _ in range(a.repeat):
            url = pg_url()
            if url is None:
                break
            try:
                penv = make_env(work, url)
                penv["JJADMIN_SESSION_FILE"] = str(work / "session-pg.json")
                init_db(penv)
                run_rss(jj("school", "import", str(work / "schools.xlsx")), penv)
                t, rss, _ = run_rss(jj("teacher", "import", str(work / "teachers.xlsx")), penv)
                s = step("c", "(c) teacher import, PostgreSQL")
                s.seconds.append(t)
                s.rss_mb.append(rss)
                if not a.skip_enroll:
                    pg_enroll(penv, work, steps, step)
            finally:
                drop_pg(url)

    print()
    print(f"{'step':<52} {'median s':>9} {'runs':>5} {'peak RSS MB':>12}")
    for s in steps.values():
        rss = f"{s.peak:.0f}" if s.rss_mb else "-"
        print(f"{s.name:<52} {s.median:>9.2f} {len(s.seconds):>5} {rss:>12}")
    print()

    def ratio(x: str, y: str, label: str, target: str) -> None:
        if x in steps and y in steps:
            print(f"{label:<52} {steps[x].median / steps[y].median:>9.2f}   target {target}")

    ratio("b", "a", "teacher import / raw limit (SQLite)", "≤ 1.8")
    ratio("c", "b", "teacher import PostgreSQL / SQLite", "≤ 1.3")
    ratio("d", "b", "re-import / first import", "< 1")
    ratio("eb", "ea", "enroll import / raw limit", "≤ 2.2")
    ratio("ec", "ea", "enroll import course-major / raw limit", "≤ 2.2")
    ratio("ej", "eb", "enroll --errors-to (3,000 bad) / clean import", "≤ 2")
    ratio("pe", "eb", "enroll import PostgreSQL / SQLite", "≤ 1.5")
    (work / "results.json").write_text(
        json.dumps(
            {
                k: {"name": s.name, "median": s.median, "runs": s.seconds, "peak_rss_mb": s.peak}
                for k, s in steps.items()
            },
            ensure_ascii=False,
            indent=1,
        ),
        "utf-8",
    )


if __name__ == "__main__":
    main()
