"""Two real processes enroll into the last seats of one course at the same time: the seats
are never exceeded (SQLite file, and PostgreSQL when JJADMIN_TEST_PG_URL is set)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jjadmin.db import make_engine, migrate, session_factory
from jjadmin.models import AuthToken, Course, Enrollment
from jjadmin.services.accounts import seed_districts
from jjadmin.services.auth import token_digest
from tests.conftest import PG_URL, create_pg_database, drop_pg_database
from tests.factories import NOW, make_account, make_school, make_teacher
from tests.helpers_courses import make_course, make_period

pytestmark = pytest.mark.slow

SEATS = 6


@dataclass
class Contest:
    url: str
    tokens: tuple[str, str]  # school admins of schools A and B
    teachers: tuple[list[str], list[str]]  # SEATS teachers of each school


def _prepare(url: str, capacity: int) -> Contest:
    engine = make_engine(url, create=True)
    migrate(engine)
    with session_factory(engine)() as s:
        seed_districts(s)
        schools = [make_school(s, "4401040001"), make_school(s, "4401040002")]
        teachers = tuple([make_teacher(s, sc).learner_no for _ in range(SEATS)] for sc in schools)
        make_period(s)
        make_course(s, "2601", "LAST", capacity=capacity)
        tokens = []
        for i, sc in enumerate(schools):
            actor = make_account(s, "school", username=f"admin{i}", school=sc)
            secret = f"jj_contest_token_{i}"
            s.add(
                AuthToken(
                    token_hash=token_digest(secret),
                    account_id=actor.account_id or 0,
                    kind="token",
                    created_at=NOW,
                    expires_at=NOW + timedelta(days=1),
                )
            )
            tokens.append(secret)
        s.commit()
    engine.dispose()
    return Contest(url, (tokens[0], tokens[1]), teachers)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite"] + (["postgres"] if PG_URL else []))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite always; PostgreSQL (a fresh database) when JJADMIN_TEST_PG_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'contest.db'}"
        return
    url = create_pg_database("jjcontest")
    yield url
    drop_pg_database(url)


def _env(tmp: Path, url: str, token: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        JJADMIN_DATABASE_URL=url,
        JJADMIN_TOKEN=token,
        JJADMIN_NOW="2026-03-15T10:00:00+08:00",
        JJADMIN_LOG_DIR=str(tmp / "logs"),
        JJADMIN_SESSION_FILE=str(tmp / "no-session.json"),
        JJADMIN_SMS=f"file:{tmp / 'sms.jsonl'}",
    )
    return env


def _race(tmp: Path, contest: Contest, *extra: str) -> list[tuple[int, dict[str, object]]]:
    """Start both enrollments at once; return (exit code, JSON document) of each."""
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jjadmin",
                "enroll",
                "add",
                "--period",
                "2601",
                "--course",
                "LAST",
                "--teachers",
                ",".join(contest.teachers[i]),
                "--json",
                *extra,
            ],
            env=_env(tmp, contest.url, contest.tokens[i]),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in (0, 1)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert out.strip(), err
        results.append((p.returncode, json.loads(out)))
    return results


def _seats(url: str) -> tuple[int, int, int | None]:
    engine = make_engine(url)
    with session_factory(engine)() as s:
        course = s.execute(select(Course).where(Course.code == "LAST")).scalar_one()
        active = s.execute(
            select(func.count()).where(
                Enrollment.course_id == course.id, Enrollment.state == "active"
            )
        ).scalar_one()
        result = (course.enrolled, int(active), course.capacity)
    engine.dispose()
    return result


def test_two_processes_never_overfill_the_last_seats(database: str, tmp_path: Path) -> None:
    contest = _prepare(database, capacity=SEATS)
    results = sorted(_race(tmp_path, contest), key=lambda r: r[0])
    (win_code, win), (lose_code, lose) = results
    assert (win_code, win["created"]) == (0, SEATS)
    assert lose_code == 1 and lose["created"] == 0
    assert {e["message"] for e in lose["errors"]} == {f"课程 LAST 剩余名额 0，本次需 {SEATS}"}
    assert _seats(database) == (SEATS, SEATS, SEATS)


def test_with_skip_invalid_both_processes_share_the_seats_exactly(
    database: str, tmp_path: Path
) -> None:
    capacity = SEATS + 2
    contest = _prepare(database, capacity=capacity)
    results = _race(tmp_path, contest, "--skip-invalid")
    created = sorted(doc["created"] for _, doc in results)  # type: ignore[type-var]
    assert created == [2, SEATS]
    refused = [len(doc["errors"]) for _, doc in results]  # type: ignore[arg-type]
    assert sorted(refused) == [0, SEATS - 2]
    assert sorted(code for code, _ in results) == [0, 1]
    assert _seats(database) == (capacity, capacity, capacity)
