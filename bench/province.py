"""A province on paper: 1,200,000 teachers and 10,000,000 enrollments over 4 periods on
PostgreSQL, then the read commands people wait on (`bench/run.py --province`).

The data is made by PostgreSQL itself (INSERT … SELECT over generate_series, in the schema
`jjadmin db init` created); the secondary indexes of the two big tables are dropped for the
load and built again afterwards with their own definitions, then ANALYZE. Nothing but
PostgreSQL stores or answers anything: jjadmin's commands are timed as a user runs them.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PERIODS = ("2501", "2502", "2601", "2602")
COURSES_PER_PERIOD = 500
SCHOOL_SIZE = 50  # teachers per school


def build(
    dsn: str, teachers: int, enrollments: int, log: Callable[[str], None]
) -> dict[str, float]:
    """Fill the database at `dsn` (already initialised); the seconds each stage took."""
    import psycopg

    took: dict[str, float] = {}
    schools = max(teachers // SCHOOL_SIZE, 1)
    per_period = enrollments // len(PERIODS)
    with psycopg.connect(dsn, autocommit=True) as conn:
        districts = [r[0] for r in conn.execute("SELECT code FROM district ORDER BY code")]
        admin = conn.execute("SELECT min(id) FROM account").fetchone()
        assert admin is not None

        def stage(name: str, sql: str, params: Any = None) -> None:
            log(f"  {name} …")
            t0 = time.perf_counter()
            conn.execute(sql, params)
            took[name] = time.perf_counter() - t0

        stage(
            "schools",
            """INSERT INTO school (code, name, district_code, school_type, seal_name, town,
                   nature, head_name, head_mobile, version, created_at, updated_at)
               SELECT '44' || lpad(g::text, 8, '0'), '第' || g || '学校',
                      (%(d)s::text[])[1 + g %% cardinality(%(d)s::text[])], '小学',
                      '第' || g || '学校', '街道', '公办', '校长', '13800138000', 1, now(), now()
               FROM generate_series(1, %(n)s) g""",
            {"d": districts, "n": schools},
        )
        saved = _drop_secondary_indexes(conn, ("teacher", "enrollment"))
        stage(
            "teachers",
            """INSERT INTO teacher (learner_no, name, id_number, gender, birth_date, mobile,
                   school_id, stage, subject, status, review_state, version, created_at,
                   updated_at)
               SELECT '4401' || lpad(g::text, 10, '0'), '教师' || g,
                      '440104' || to_char(date '1960-01-01' + g / 1000, 'YYYYMMDD')
                          || lpad((g %% 1000)::text, 3, '0') || 'X',
                      CASE WHEN g %% 2 = 0 THEN '女' ELSE '男' END,
                      date '1960-01-01' + g / 1000, '139' || lpad((g %% 100000000)::text, 8, '0'),
                      s.id, '小学', '语文', '在职', 'normal', 1, now(), now()
               FROM generate_series(1, %(n)s) g
               JOIN school s ON s.id = (SELECT min(id) FROM school) + (g - 1) / %(size)s""",
            {"n": teachers, "size": SCHOOL_SIZE},
        )
        for period in PERIODS:
            conn.execute(
                """INSERT INTO period (code, select_from, select_to, pay_by, created_by,
                       created_at)
                   VALUES (%s, now(), now() + interval '20 days', now() + interval '40 days',
                           %s, now())""",
                (period, admin[0]),
            )
            conn.execute(
                """INSERT INTO course (period, code, name, level, course_type, hour_type, hours,
                       fee, material_fee, charging_unit, enrolled, status, approval, version,
                       created_at, updated_at)
                   SELECT %(p)s::text, 'C' || %(p)s::text || lpad(g::text, 4, '0'),
                          '课程' || g, '市级',
                          '面授', '专业科目', 12, 30000, 2000, '市继续教育中心', 0, '上线',
                          'approved', 1, now(), now()
                   FROM generate_series(0, %(n)s - 1) g""",
                {"p": period, "n": COURSES_PER_PERIOD},
            )
        # Generated rows are consistent by construction: skip the per-row FK triggers.
        conn.execute("SET session_replication_role = replica")
        first_teacher = _first_id(conn, "teacher")
        for k, period in enumerate(PERIODS):
            row = conn.execute("SELECT min(id) FROM course WHERE period = %s", (period,))
            first_course = row.fetchone()[0]  # type: ignore[index]
            # round r of teacher t takes course (7t + 131r + 17k) mod 500: distinct per teacher
            stage(
                f"enrollments {period}",
                """INSERT INTO enrollment (period, course_id, teacher_id, school_id, state,
                       paid, source, created_by, created_at)
                   SELECT %(p)s::text,
                          %(course)s + (7 * (g %% %(teachers)s) + 131 * (g / %(teachers)s)
                                        + 17 * %(k)s) %% %(courses)s,
                          t.id, t.school_id, 'active', (g %% 3 = 0), 'import', %(admin)s, now()
                   FROM generate_series(0, %(n)s - 1) g
                   JOIN teacher t ON t.id = %(first)s + g %% %(teachers)s""",
                {
                    "p": period,
                    "n": per_period,
                    "teachers": teachers,
                    "courses": COURSES_PER_PERIOD,
                    "k": k,
                    "admin": admin[0],
                    "first": first_teacher,
                    "course": first_course,
                },
            )
        conn.execute("SET session_replication_role = DEFAULT")
        conn.execute(
            """UPDATE course c SET enrolled = x.n FROM
               (SELECT course_id, count(*) n FROM enrollment GROUP BY course_id) x
               WHERE x.course_id = c.id"""
        )
        log("  indexes …")
        t0 = time.perf_counter()
        for sql in saved:
            conn.execute(sql)
        took["indexes"] = time.perf_counter() - t0
        log("  vacuum analyze …")
        t0 = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        took["vacuum analyze"] = time.perf_counter() - t0
        sizes = conn.execute(
            """SELECT relname, pg_total_relation_size(oid) FROM pg_class
               WHERE relname IN ('teacher', 'enrollment')"""
        ).fetchall()
        for name, size in sizes:
            took[f"size MB {name}"] = size / 2**20
    return took


def _first_id(conn: Any, table: str) -> int:
    row = conn.execute(f"SELECT min(id) FROM {table}").fetchone()
    return int(row[0])


def _drop_secondary_indexes(conn: Any, tables: tuple[str, ...]) -> list[str]:
    """Drop every index of `tables` but the primary keys; the statements that rebuild them."""
    rows = conn.execute(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.tablename = ANY(%s) AND i.indexname NOT LIKE 'pk\\_%%'""",
        (list(tables),),
    ).fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


def measure(
    run: Callable[[list[str]], tuple[float, float, str]], repeat: int
) -> dict[str, dict[str, Any]]:
    """Time the read commands (median of `repeat` runs, each a process of its own)."""
    listed = json.loads(run(["teacher", "list", "--json", "--limit", "50"])[2])
    learner = listed["items"][len(listed["items"]) // 2]["learner_no"]
    school = listed["items"][0]["school_code"]
    commands = {
        "teacher list --json --limit 50": ["teacher", "list", "--json", "--limit", "50"],
        "teacher list --school S --json": ["teacher", "list", "--school", school, "--json"],
        "teacher show 学号": ["teacher", "show", learner],
        "enroll stats --period 2601 --by course": _stats("course"),
        "enroll stats --period 2601 --by school": _stats("school"),
        "enroll stats --period 2601 --by district": _stats("district"),
    }
    results: dict[str, dict[str, Any]] = {}
    for name, args in commands.items():
        runs = [run(args)[:2] for _ in range(repeat)]
        results[name] = {
            "median": statistics.median(t for t, _ in runs),
            "runs": [round(t, 3) for t, _ in runs],
            "rss_mb": max(r for _, r in runs),
        }
    return results


def _stats(by: str) -> list[str]:
    return ["enroll", "stats", "--period", "2601", "--by", by, "--json"]


def report(took: dict[str, float], results: dict[str, dict[str, Any]], out: Path) -> None:
    print("\nprovince build (PostgreSQL, s / MB)")
    for name, value in took.items():
        print(f"  {name:<40} {value:>9.1f}")
    print(f"\n{'command':<44} {'median s':>9}  runs")
    for name, r in results.items():
        print(f"{name:<44} {r['median']:>9.2f}  {r['runs']}  {r['rss_mb']:.0f} MB")
    out.write_text(
        json.dumps({"build": took, "commands": results}, ensure_ascii=False, indent=1), "utf-8"
    )
