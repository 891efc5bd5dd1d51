"""Notices with texts and the learner's own pages at city scale.

Usage: PYTHONPATH=. .venv/bin/python bench/notices.py [--schools 2000] [--courses 2000]
       [--repeat 3] [--rate 1000]

A migrated SQLite database gets (DB-API executemany, not measured) 2,000 schools with one
school admin each (a bound mobile), a 2,000-course catalogue of period 2601 and one teacher
with 10 graded enrollments. Then, each step in a process of its own (start-up included),
medians and peak RSS:

  (a) notice post --to all --sms: 2,000 texts to a file sink, at JJADMIN_SMS_RATE  ≤ 5 s
  (b) notice post --to all --sms --dry-run (the recipients listed, nothing sent)
  (c) me notices --json (the teacher's school: the same visibility query as notice list)
  (d) me courses --json (课程超市 and recommendations over 2,000 courses)         ≤ 0.3 s*
  (e) me archive --json
  * the issue's target; start-up alone takes a good part of it on this machine.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import citygen  # noqa: E402
from run import PASSWORD, init_db, jj, make_env, run_rss  # noqa: E402

STAMP = datetime(2026, 3, 1, 2, 0, tzinfo=UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _at(text: str) -> str:
    return (
        datetime.fromisoformat(text)
        .astimezone(UTC)
        .replace(tzinfo=None)
        .isoformat(" ", "microseconds")
    )


def load(db: Path, schools: int, courses: int) -> tuple[str, str]:
    """Schools with one admin each, a catalogue, one teacher with graded enrollments;
    returns the teacher's (学号, first password)."""
    import random

    con = sqlite3.connect(db)
    districts = [r[0] for r in con.execute("SELECT code FROM district ORDER BY code")]
    con.executemany(
        "INSERT INTO school (code, name, district_code, school_type, seal_name, town, nature, "
        "head_name, head_mobile, version, created_at, updated_at) "
        "VALUES (?, ?, ?, '小学', ?, '街道', '公办', '校长', '13800138000', 1, ?, ?)",
        [
            (f"44{i:08d}", f"学校{i}", districts[i % len(districts)], f"学校{i}", STAMP, STAMP)
            for i in range(schools)
        ],
    )
    con.executemany(
        "INSERT INTO account (username, role, name, mobile, school_id, disabled, failed_logins, "
        "must_change_password, created_at) "
        "SELECT ?, 'school', ?, ?, id, 0, 0, 0, ? FROM school WHERE code = ?",
        [(f"s{i:05d}", f"管理员{i}", f"139{i:08d}", STAMP, f"44{i:08d}") for i in range(schools)],
    )
    con.execute(
        "INSERT INTO period (code, select_from, select_to, pay_by, created_at) "
        "VALUES ('2601', ?, ?, ?, ?)",
        (
            _at("2026-03-01T00:00:00+08:00"),
            _at("2026-03-31T23:59:59+08:00"),
            _at("2026-04-30T23:59:59+08:00"),
            STAMP,
        ),
    )
    con.executemany(
        "INSERT INTO course (period, code, name, level, attribute, course_type, hour_type, "
        "hours, fee, material_fee, declarer, charging_unit, capacity, enrolled, status, approval, "
        "version, created_at, updated_at, stages, subjects) "
        "VALUES ('2601', ?, ?, '全员培训', ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, '上线', 'approved', 1, "
        "?, ?, ?, ?)",
        [
            (
                r[1],
                r[2],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8] * 100,
                r[9] * 100,
                r[11],
                r[12],
                STAMP,
                STAMP,
                ["小学", "初中", "高中"][i % 3],
                ["语文", "数学", "英语"][i % 3],
            )
            for i, r in enumerate(citygen.courses("2601", courses))
        ],
    )
    rng = random.Random(7)
    ident, _, birth = citygen.id_number(rng, set())
    con.execute(
        "INSERT INTO teacher (learner_no, name, id_number, gender, birth_date, mobile, school_id, "
        "stage, subject, status, review_state, version, created_at, updated_at) "
        "SELECT '44012600000001', '张老师', ?, '男', ?, '13700137000', id, '小学', '语文', "
        "'在职', 'normal', 1, ?, ? FROM school WHERE code = '4400000000'",
        (ident, birth.isoformat(), STAMP, STAMP),
    )
    teacher_id, school_id = con.execute("SELECT id, school_id FROM teacher").fetchone()
    course_ids = [r[0] for r in con.execute("SELECT id FROM course ORDER BY id LIMIT 10")]
    for n, cid in enumerate(course_ids):
        cur = con.execute(
            "INSERT INTO enrollment (period, course_id, teacher_id, school_id, state, paid, "
            "source, created_at) VALUES ('2601', ?, ?, ?, 'active', 1, 'admin', ?)",
            (cid, teacher_id, school_id, STAMP),
        )
        con.execute(
            "INSERT INTO grade (enrollment_id, score, passed, recorded_at, version) "
            "VALUES (?, ?, ?, ?, 1)",
            (cur.lastrowid, 50 + n * 5, 1 if n >= 2 else 0, STAMP),
        )
    con.commit()
    con.close()
    return "44012600000001", ident[-6:].upper()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schools", type=int, default=2000)
    ap.add_argument("--courses", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rate", type=int, default=1000)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jjbench-notices-"))
    db = work / "city.db"
    env = make_env(work, f"sqlite:///{db}")
    env["JJADMIN_SMS_RATE"] = str(a.rate)
    init_db(env)
    learner, first = load(db, a.schools, a.courses)
    teacher_env = dict(env, JJADMIN_SESSION_FILE=str(work / "teacher.json"))
    run_rss(jj("login", learner, "--password-stdin"), teacher_env, stdin=first + "\n")
    run_rss(jj("me", "passwd", "--password-stdin"), teacher_env, stdin=f"{first}\n{PASSWORD}\n")
    results: dict[str, list[tuple[float, float]]] = {}

    def step(name: str, cmd: list[str], e: dict[str, str], check: object = None) -> None:
        wall, rss, out = run_rss(cmd, e)
        results.setdefault(name, []).append((wall, rss))
        if callable(check):
            check(json.loads(out))

    def texts_sent(doc: dict[str, int]) -> None:
        assert doc["sms"] == a.schools and doc["sms_failed"] == 0, doc

    for i in range(a.repeat):
        post = ["notice", "post", "--title", f"选课通知{i}", "--body", "请按时选课。" * 50]
        step("(a) notice post --sms", jj(*post, "--sms", "--json"), env, texts_sent)
        step("(b) notice post --sms --dry-run", jj(*post, "--sms", "--dry-run", "--json"), env)
        step("(c) me notices", jj("me", "notices", "--json"), teacher_env)
        step("(d) me courses", jj("me", "courses", "--json"), teacher_env)
        step("(e) me archive", jj("me", "archive", "--json"), teacher_env)
    sent = sum(1 for _ in (work / "sms.jsonl").open(encoding="utf-8"))
    print(f"schools {a.schools}, courses {a.courses}, rate {a.rate}/s, texts in the sink: {sent}")
    for name, runs in sorted(results.items()):
        walls = [w for w, _ in runs]
        peak = max(r for _, r in runs)
        print(
            f"{name:34s} median {statistics.median(walls):6.2f} s  "
            f"(min {min(walls):.2f}, max {max(walls):.2f})  peak RSS {peak:.0f} MB"
        )


if __name__ == "__main__":
    main()
