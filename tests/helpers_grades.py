"""A small graded world for the grade and credits tests: a period, three levels of course,
two schools of two districts, enrolled teachers, and the accounts that grade them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jjadmin.importers.common import run_import_kind
from jjadmin.importers.grade import GRADE_IMPORT
from jjadmin.models import Course, CreditRecord, Enrollment, School, Teacher
from jjadmin.services.context import Actor
from jjadmin.services.imports import ImportOptions
from jjadmin.services.results import ImportReport
from tests.factories import NOW, make_account, make_school, make_teacher
from tests.helpers_courses import make_course, make_period
from tests.xlsx_helpers import make_xlsx

HEADERS = ["学号", "课程编号", "成绩", "备注"]
CENTRE = "广州市教师继续教育指导中心"


@dataclass
class World:
    a: School
    b: School
    t1: Teacher
    t2: Teacher
    t3: Teacher  # of school b (another district)
    city_course: Course  # C1 全员培训, 24 h 专业科目, charged by the centre
    district_course: Course  # D1 区级培训 of 440104, 12 h 公需科目
    school_course: Course  # S1 校本培训 of school a, 6 h 个人选修
    city: Actor
    district: Actor  # 440104
    other_district: Actor  # 440105
    school: Actor  # school a
    institution: Actor  # the centre


def enroll(session: Session, teacher: Teacher, course: Course) -> Enrollment:
    e = Enrollment(
        period=course.period,
        course_id=course.id or 0,
        teacher_id=teacher.id or 0,
        school_id=teacher.school_id,
        state="active",
        created_at=NOW,
    )
    session.add(e)
    session.flush()
    return e


def build_world(session: Session) -> World:
    make_period(session, "2601")
    a = make_school(session, district="440104")
    b = make_school(session, district="440105")
    t1, t2 = make_teacher(session, a), make_teacher(session, a)
    t3 = make_teacher(session, b)
    city_course = make_course(session, "2601", "C1", charging_unit=CENTRE, declarer=CENTRE)
    district_course = make_course(
        session,
        "2601",
        "D1",
        level="区级培训",
        district="440104",
        hours=Decimal(12),
        hour_type="公需科目",
        charging_unit="越秀区进修学校",
    )
    school_course = make_course(
        session, "2601", "S1", level="校本培训", school=a, hours=Decimal(6), hour_type="个人选修"
    )
    for t in (t1, t2, t3):
        enroll(session, t, city_course)
    for t in (t1, t2):
        enroll(session, t, district_course)
        enroll(session, t, school_course)
    world = World(
        a,
        b,
        t1,
        t2,
        t3,
        city_course,
        district_course,
        school_course,
        city=make_account(session, "city"),
        district=make_account(session, "district", district="440104"),
        other_district=make_account(session, "district", district="440105"),
        school=make_account(session, "school", school=a),
        institution=make_account(session, "institution", institution=CENTRE),
    )
    session.commit()
    # detached and loaded: reading them later never opens a transaction in the test session
    for obj in (a, b, t1, t2, t3, city_course, district_course, school_course):
        session.refresh(obj)
    session.expunge_all()
    session.rollback()
    return world


def grade_sheet(tmp: Path, rows: list[list[Any]], name: str = "成绩.xlsx", **kw: Any) -> Path:
    headers = kw.pop("headers", HEADERS)
    return make_xlsx(tmp / name, [headers, *rows], **kw)


def import_grades(
    make_ctx: Any, actor: Actor, path: Path, period: str | None = "2601", **options: bool
) -> ImportReport:
    return run_import_kind(
        make_ctx(actor),
        GRADE_IMPORT,
        path,
        options=ImportOptions(**options),
        period=period,
    ).report


def count_rows(session: Session, model: Any) -> int:
    n = int(session.scalar(select(func.count()).select_from(model)) or 0)
    session.rollback()
    return n


def hours_text(value: Any) -> str:
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def ledger(session: Session) -> list[tuple[str, str, int, str, str]]:
    """(学号, source_ref course code or ref, year, hours, hour_type) of every ledger row."""
    session.expire_all()
    rows = session.execute(
        select(CreditRecord, Teacher.learner_no).join(
            Teacher,
            Teacher.id == CreditRecord.teacher_id,  # type: ignore[arg-type]
        )
    ).all()
    codes = {c.id: c.code for c in session.execute(select(Course)).scalars()}
    out = []
    for record, ln in rows:
        ref = record.source_ref
        if record.source == "grade":
            ref = codes[int(ref)]
        out.append((ln, ref, record.year, hours_text(record.hours), record.hour_type))
    session.rollback()  # end the read: services open their own write transactions
    return sorted(out)
