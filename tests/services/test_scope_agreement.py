"""The scope rule is written once (scope_rules.SCOPE); its Python check, its SQL text and its
SQLAlchemy clause agree for every role on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.models import Course, School
from jjadmin.services.context import ROLE_NAMES, Actor
from jjadmin.services.scope import course_clause, school_clause
from jjadmin.services.scope_rules import (
    SCOPE,
    course_in_scope,
    course_scope_sql,
    district_in_scope,
    project_in_scope,
    project_scope_sql,
    school_in_scope,
    school_scope_sql,
)
from tests.conftest import CtxFactory
from tests.factories import make_school
from tests.helpers_courses import make_course, make_period

UNIT_A = "广州市教师继续教育指导中心"
UNIT_B = "越秀区教师发展中心"


@dataclass
class City:
    schools: dict[str, int]  # name → id
    courses: dict[str, int]  # code → id


@pytest.fixture
def city(session: Session) -> City:
    schools = {
        "yx1": make_school(session, "4401040001", "440104"),
        "yx2": make_school(session, "4401040002", "440104"),
        "yx3": make_school(session, "4401040003", "440104"),
        "hz1": make_school(session, "4401050001", "440105"),
        "hz2": make_school(session, "4401050002", "440105"),
    }
    period = make_period(session)
    courses = {
        "A1": make_course(session, period, "A1", charging_unit=UNIT_A),
        "A2": make_course(session, period, "A2", charging_unit=UNIT_A),
        # charged by B, declared (申报单位) by A: A undertakes it as a 专项 project
        "B1": make_course(session, period, "B1", charging_unit=UNIT_B, declarer=UNIT_A),
    }
    session.commit()
    return City(
        {k: s.id or 0 for k, s in schools.items()}, {k: c.id or 0 for k, c in courses.items()}
    )


def actors(city: City) -> dict[str, Actor]:
    base = Actor(account_id=1, username="u", role="city", name="某人")
    return {
        "city": base,
        "system": replace(base, role="system"),
        "district 440104": replace(base, role="district", district_code="440104"),
        "district 440105": replace(base, role="district", district_code="440105"),
        "district without a district": replace(base, role="district"),
        "school yx2": replace(base, role="school", school_id=city.schools["yx2"]),
        "school without a school": replace(base, role="school"),
        "principal of hz1": replace(
            base,
            role="teacher",
            teacher_id=7,
            school_id=city.schools["hz1"],
            principal_school_id=city.schools["hz1"],
        ),
        # 授权: a teacher the school made one of its admins — the same data as a principal's
        "teacher granted as admin of yx3": replace(
            base,
            role="teacher",
            teacher_id=9,
            school_id=city.schools["yx3"],
            principal_school_id=city.schools["yx3"],
            admin_grant="school_admin",
        ),
        "teacher": replace(base, role="teacher", teacher_id=8, school_id=city.schools["yx1"]),
        "institution A": replace(base, role="institution", institution=UNIT_A),
        "institution without a name": replace(base, role="institution"),
    }


# what each actor may see, written out by hand: the three derived forms must give exactly this
EXPECTED_SCHOOLS = {
    "city": {"yx1", "yx2", "yx3", "hz1", "hz2"},
    "system": {"yx1", "yx2", "yx3", "hz1", "hz2"},
    "district 440104": {"yx1", "yx2", "yx3"},
    "district 440105": {"hz1", "hz2"},
    "district without a district": set(),
    "school yx2": {"yx2"},
    "school without a school": set(),
    "principal of hz1": {"hz1"},
    "teacher granted as admin of yx3": {"yx3"},
    "teacher": set(),
    "institution A": set(),
    "institution without a name": set(),
}
EXPECTED_COURSES = {
    "city": {"A1", "A2", "B1"},
    "system": {"A1", "A2", "B1"},
    "institution A": {"A1", "A2"},
}
# 专项 projects whose applications the actor reviews last (PROJECTS: 收费单位 or 申报单位)
EXPECTED_PROJECTS = {"institution A": {"A1", "A2", "B1"}}


def test_every_role_has_a_scope_rule() -> None:
    assert set(SCOPE) == set(ROLE_NAMES)


@pytest.mark.parametrize("who", sorted(EXPECTED_SCHOOLS))
def test_python_sql_text_and_sqlalchemy_agree_on_schools(
    who: str, city: City, session: Session, make_ctx: CtxFactory
) -> None:
    actor = actors(city)[who]
    names = {v: k for k, v in city.schools.items()}
    everyone = session.execute(select(School)).scalars().all()
    by_python = {names[s.id or 0] for s in everyone if school_in_scope(actor, s)}
    by_clause = {
        names[i] for i in session.execute(select(School.id).where(school_clause(actor))).scalars()
    }
    session.rollback()  # one connection on in-memory SQLite: the raw read needs it
    where, params = school_scope_sql(actor, "s")
    with make_ctx(actor).raw_reading() as db:
        by_text = {
            names[int(r[0])] for r in db.rows(f"SELECT s.id FROM school s WHERE {where}", params)
        }
    assert by_python == by_clause == by_text == EXPECTED_SCHOOLS[who]


@pytest.mark.parametrize("who", sorted(EXPECTED_SCHOOLS))
def test_python_sql_text_and_sqlalchemy_agree_on_courses(
    who: str, city: City, session: Session, make_ctx: CtxFactory
) -> None:
    actor = actors(city)[who]
    codes = {v: k for k, v in city.courses.items()}
    everyone = session.execute(select(Course)).scalars().all()
    by_python = {c.code for c in everyone if course_in_scope(actor, c)}
    by_clause = {
        codes[i] for i in session.execute(select(Course.id).where(course_clause(actor))).scalars()
    }
    session.rollback()
    where, params = course_scope_sql(actor, "c")
    with make_ctx(actor).raw_reading() as db:
        by_text = {
            codes[int(r[0])] for r in db.rows(f"SELECT c.id FROM course c WHERE {where}", params)
        }
    assert by_python == by_clause == by_text == EXPECTED_COURSES.get(who, set())


@pytest.mark.parametrize("who", sorted(EXPECTED_SCHOOLS))
def test_a_whole_district_is_in_scope_exactly_when_all_its_schools_are(
    who: str, city: City
) -> None:
    actor = actors(city)[who]
    expected = EXPECTED_SCHOOLS[who]
    assert district_in_scope(actor, "440104") == ({"yx1", "yx2", "yx3"} <= expected)
    assert district_in_scope(actor, "440105") == ({"hz1", "hz2"} <= expected)


@pytest.mark.parametrize("who", sorted(EXPECTED_SCHOOLS))
def test_python_and_sql_text_agree_on_the_projects_an_institution_undertakes(
    who: str, city: City, session: Session, make_ctx: CtxFactory
) -> None:
    actor = actors(city)[who]
    everyone = session.execute(select(Course)).scalars().all()
    by_python = {c.code for c in everyone if project_in_scope(actor, c)}
    session.rollback()
    where, params = project_scope_sql(actor, "c")
    with make_ctx(actor).raw_reading() as db:
        by_text = {r[0] for r in db.rows(f"SELECT c.code FROM course c WHERE {where}", params)}
    assert by_python == by_text == EXPECTED_PROJECTS.get(who, set())
