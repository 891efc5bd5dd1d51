"""What row-level security costs a city (issue 14): the same account runs the same read
commands through the owner's connection (the application's checks alone) and through its own
login role (the application's checks and the database's policies), on a city built by
PostgreSQL itself (bench/province.py's generator): 100,000 teachers in 2,000 schools, 500,000
enrollments over 4 periods.

    .venv/bin/python bench/citypg.py [--teachers N] [--enrollments N] [--repeat N]

Each command is a process of its own (start-up included), as a user runs it; medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.province import build  # noqa: E402
from bench.run import PASSWORD, PG, jj, make_env, run_rss  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teachers", type=int, default=100_000)
    parser.add_argument("--enrollments", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database and its roles")
    a = parser.parse_args()
    base = PG
    import psycopg
    from sqlalchemy.engine import make_url

    prefix = f"jjb_{uuid.uuid4().hex[:6]}_"
    owner, database = f"{prefix}owner", f"{prefix}db"
    server = make_url(base).set(database="postgres")
    su = server.render_as_string(hide_password=False).replace("+psycopg", "")
    with psycopg.connect(su, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{owner}" LOGIN CREATEROLE')
        conn.execute(f'CREATE DATABASE "{database}" OWNER "{owner}"')
    owner_url = server.set(database=database, username=owner).render_as_string(False)
    superuser_dsn = server.set(database=database).render_as_string(False).replace("+psycopg", "")

    def role_url(user: str) -> str:
        return server.set(database=database, username=prefix + user).render_as_string(False)

    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            env = make_env(work, owner_url)
            env["JJADMIN_PG_ROLE_PREFIX"] = prefix
            run_rss(
                jj("db", "init", "--admin", "bench", "--name", "压测", "--mobile",
                   "13800138000", "--password-stdin"),
                env, stdin=PASSWORD + "\n",
            )  # fmt: skip
            print(f"building {a.teachers:,} teachers, {a.enrollments:,} enrollments …")
            t0 = time.perf_counter()
            build(superuser_dsn, a.teachers, a.enrollments, lambda m: print(m, flush=True))
            print(f"  built in {time.perf_counter() - t0:.0f} s")
            with psycopg.connect(superuser_dsn) as conn:
                school, district = conn.execute(
                    "SELECT code, district_code FROM school ORDER BY id LIMIT 1"
                ).fetchone()  # type: ignore[misc]
            run_rss(jj("login", "bench", "--password-stdin"), env, stdin=PASSWORD + "\n")
            accounts = {
                "school": ["--role", "school", "--school", school],
                "district": ["--role", "district", "--district", district],
                "city2": ["--role", "city"],
            }
            for user, extra in accounts.items():
                run_rss(
                    jj("account", "add", user, "--name", user, "--mobile", "13900139000",
                       *extra, "--password-stdin"),
                    env, stdin=PASSWORD + "\n",
                )  # fmt: skip
            t0 = time.perf_counter()
            run_rss(jj("db", "roles", "sync", "--json"), env)
            print(f"db roles sync: {time.perf_counter() - t0:.2f} s")
            commands = {
                "teacher list --limit 50": ["teacher", "list", "--json", "--limit", "50"],
                "enroll list --period 2601 --limit 50": [
                    "enroll", "list", "--period", "2601", "--limit", "50", "--json",
                ],
                "enroll stats --period 2601 --by school": [
                    "enroll", "stats", "--period", "2601", "--by", "school", "--json",
                ],
                "audit list": ["audit", "list", "--json"],
            }  # fmt: skip
            results: dict[str, dict[str, float]] = {}
            for user in accounts:
                for label, url in (("owner", owner_url), ("role", role_url(user))):
                    e = make_env(work, url)
                    e["JJADMIN_SESSION_FILE"] = str(work / f"{user}-{label}.json")
                    run_rss(jj("login", user, "--password-stdin"), e, stdin=PASSWORD + "\n")
                    for name, args in commands.items():
                        runs = [run_rss(jj(*args), e)[0] for _ in range(a.repeat)]
                        results.setdefault(f"{user}: {name}", {})[label] = statistics.median(runs)
            print(f"\n{'account: command':<52} {'owner':>7} {'role':>7} {'ratio':>6}")
            for name, r in results.items():
                ratio = r["role"] / r["owner"]
                print(f"{name:<52} {r['owner']:>7.2f} {r['role']:>7.2f} {ratio:>6.2f}")
            server = _server_side(superuser_dsn, role_url, school, district, a.repeat * 3)
            print(f"\n{'account: query (server, ms)':<52} {'owner':>7} {'role':>7} {'ratio':>6}")
            for name, r in server.items():
                ratio = r["role"] / r["owner"]
                print(f"{name:<52} {r['owner']:>7.1f} {r['role']:>7.1f} {ratio:>6.2f}")
            results.update({f"server {k}": v for k, v in server.items()})
            (Path(__file__).parent / "out").mkdir(exist_ok=True)
            (Path(__file__).parent / "out" / "citypg.json").write_text(
                json.dumps(results, indent=1, ensure_ascii=False), "utf-8"
            )
    finally:
        if a.keep:
            print(f"kept: {owner_url} (roles {prefix}*)")
        else:
            _drop(su, database, prefix)


def _drop(su: str, database: str, prefix: str) -> None:
    import psycopg

    with psycopg.connect(su, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        roles = conn.execute(
            "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", (prefix,)
        ).fetchall()
        for (name,) in roles:
            conn.execute(f'DROP ROLE IF EXISTS "{name}"')


def _server_side(
    superuser_dsn: str, role_url: object, school: str, district: str, repeat: int
) -> dict[str, dict[str, float]]:
    """The same SQL — with the application's own scope condition — as the owner sees it
    and as the account's role runs it (its policies added): milliseconds, medians. No
    process start-up, so the policies' own cost shows."""
    import psycopg

    scope = {
        "school": "school_id = (SELECT id FROM school WHERE code = %(school)s)",
        "district": "school_id IN (SELECT id FROM school WHERE district_code = %(district)s)",
        "city2": "true",
    }
    queries = {
        "count teachers": "SELECT count(*) FROM teacher WHERE {scope}",
        "first 50 teachers by 学号": (
            "SELECT learner_no, name FROM teacher WHERE {scope} ORDER BY learner_no LIMIT 50"
        ),
        "count enrollments of 2601": (
            "SELECT count(*) FROM enrollment WHERE period = '2601' AND {scope}"
        ),
        "enrollments of 2601 by school": (
            "SELECT school_id, count(*) FROM enrollment WHERE period = '2601' AND {scope}"
            " GROUP BY school_id"
        ),
    }
    params = {"school": school, "district": district}
    out: dict[str, dict[str, float]] = {}
    for user, where in scope.items():
        dsn = str(role_url(user)).replace("+psycopg", "")  # type: ignore[operator]
        for label, target in (("owner", superuser_dsn), ("role", dsn)):
            with psycopg.connect(target) as conn:
                for name, sql in queries.items():
                    text = sql.format(scope=where)
                    conn.execute(text, params).fetchall()  # warm
                    runs = []
                    for _ in range(repeat):
                        t0 = time.perf_counter()
                        conn.execute(text, params).fetchall()
                        runs.append((time.perf_counter() - t0) * 1000)
                    out.setdefault(f"{user}: {name}", {})[label] = statistics.median(runs)
    return out


if __name__ == "__main__":
    main()
