"""`jjadmin me archive` end to end for a logged-in teacher."""

from __future__ import annotations

from decimal import Decimal

from jjadmin.db import make_engine, session_factory
from jjadmin.models import Enrollment, Grade
from tests.conftest import Cli
from tests.factories import NOW, make_school, make_teacher
from tests.helpers_courses import make_course, make_period


def test_me_archive(cli: Cli) -> None:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        school = make_school(s, "4401040001", "440104")
        t = make_teacher(s, school)
        p = make_period(s)
        course = make_course(s, p, "M01", hours=Decimal(24))
        e = Enrollment(
            period="2601",
            course_id=course.id,
            teacher_id=t.id,
            school_id=school.id,
            paid=True,
            created_at=NOW,
        )
        s.add(e)
        s.flush()
        s.add(Grade(enrollment_id=e.id, score=Decimal(88), passed=True, recorded_at=NOW))
        s.commit()
        learner_no, first = t.learner_no, t.id_number[-6:].upper()
    engine.dispose()
    cli.run("me", "archive", code=3)  # the city admin has no archive
    cli.login_teacher(learner_no, first)
    doc = cli.json("me", "archive")
    assert doc["total"] == 1 and doc["learner_no"] == learner_no
    item = doc["items"][0]
    assert (item["course_code"], item["state"], item["paid"], item["score"], item["passed"]) == (
        "M01",
        "active",
        True,
        "88",
        True,
    )
    assert item["credited_hours"] == "24" and item["hours"] == "24"
    assert doc["years"][0]["year"] == 2026
    human = cli.run("me", "archive", "--period", "2601").stdout
    assert "学习档案" in human and "已缴费" in human and "通过" in human
    assert cli.json("me", "archive", "--year", "2025")["total"] == 0
