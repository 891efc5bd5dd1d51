"""The teacher's pages and the notice list read on the DB-API driver: no SQLAlchemy loaded
(a subprocess probe, as tests/test_read_paths.py does for teacher list/show)."""

from __future__ import annotations

from decimal import Decimal

from jjadmin.db import make_engine, session_factory
from tests.conftest import Cli
from tests.factories import make_school, make_teacher
from tests.helpers_courses import make_course, make_period
from tests.test_read_paths import HEAVY, _modules


def test_me_courses_notices_archive_and_notice_list_never_load_sqlalchemy(cli: Cli) -> None:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        school = make_school(s, "4401040001", "440104")
        t = make_teacher(s, school)
        p = make_period(s)
        make_course(s, p, "M01", hours=Decimal(24))
        s.commit()
        learner_no, first = t.learner_no, t.id_number[-6:].upper()
    engine.dispose()
    cli.run("notice", "post", "--title", "通知", "--body", "b")
    for args in (("notice", "list", "--json"), ("notice", "list")):
        done, modules = _modules(*args)
        assert done.returncode == 0, done.stderr
        assert not modules & set(HEAVY), (args, sorted(modules & set(HEAVY)))
    cli.login_teacher(learner_no, first)
    for args in (
        ("me", "courses", "--json"),
        ("me", "courses"),
        ("me", "notices", "--json"),
        ("me", "archive", "--json"),
    ):
        done, modules = _modules(*args)
        assert done.returncode == 0, done.stderr
        assert not modules & set(HEAVY), (args, sorted(modules & set(HEAVY)))
    assert [i["course_code"] for i in cli.json("me", "courses")["items"]] == ["M01"]
