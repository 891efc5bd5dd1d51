"""A small 提升工程 world (a pilot district and subject, a catalogue covering every category)
and answer sheets built in the tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from jjadmin.models import AbilityConfig, Course, Period, School, Teacher
from jjadmin.rules.ability import questionnaire
from tests.factories import NOW, make_account, make_school, make_teacher
from tests.helpers_courses import make_course, make_period

PILOT_DISTRICT = "440104"
OTHER_DISTRICT = "440105"


@dataclass
class AbilityWorld:
    period: Period
    school: School
    other_school: School
    teacher: Teacher  # 英语, 初中, in the pilot
    math_teacher: Teacher  # same school, 数学: not a pilot subject
    elsewhere: Teacher  # 英语 in another district
    courses: dict[str, Course]


def ability_course(
    session: Session,
    period: Period | str,
    code: str,
    category: str,
    hours: int | str,
    *,
    dimension: str | None = None,
    subjects: str | None = None,
    stages: str | None = None,
    **over: Any,
) -> Course:
    return make_course(
        session,
        period,
        code,
        level="提升工程",
        ability_category=category,
        ability_dimension=dimension,
        hours=Decimal(str(hours)),
        subjects=subjects,
        stages=stages,
        **over,
    )


def catalogue(session: Session, period: Period | str) -> dict[str, Course]:
    specs: list[tuple[str, str, int, dict[str, Any]]] = [
        ("TS-G1", "通识必修", 8, {}),
        ("TS-G2", "通识必修", 6, {}),
        ("TS-P1", "专业必修", 18, {"dimension": "技术素养", "subjects": "英语", "stages": "初中"}),
        (
            "TS-P2",
            "专业必修",
            18,
            {"dimension": "评估与诊断", "subjects": "英语", "stages": "初中"},
        ),
        (
            "TS-P3",
            "专业必修",
            18,
            {"dimension": "评估与诊断", "subjects": "数学", "stages": "初中"},
        ),
        (
            "TS-P4",
            "专业必修",
            18,
            {"dimension": "评估与诊断", "subjects": "英语", "stages": "小学"},
        ),
        ("TS-S1", "校本研修", 16, {"subjects": "英语"}),
        ("TS-S2", "校本研修", 16, {"subjects": "数学"}),
        ("TS-E1", "任意选修", 4, {"dimension": "评估与诊断"}),
        ("TS-E2", "任意选修", 4, {"dimension": "技术素养"}),
        ("TS-E3", "任意选修", 8, {}),
        ("TS-E4", "任意选修", 4, {"subjects": "数学"}),
        ("TS-EF", "任意选修", 8, {"capacity": 1, "enrolled": 1}),
    ]
    return {
        code: ability_course(session, period, code, cat, hours, **kw)
        for code, cat, hours, kw in specs
    }


def ability_world(session: Session, *, pilot: bool = True) -> AbilityWorld:
    period = make_period(session)
    school = make_school(session, "4401040001", PILOT_DISTRICT)
    other = make_school(session, "4401050001", OTHER_DISTRICT)
    teacher = make_teacher(session, school, subject="英语", stage="初中")
    math = make_teacher(session, school, subject="数学", stage="初中")
    elsewhere = make_teacher(session, other, subject="英语", stage="初中")
    courses = catalogue(session, period)
    make_course(session, period, "C-ALL")  # a plain 全员培训 course
    if pilot:
        session.add(
            AbilityConfig(
                period=period.code,
                districts=[PILOT_DISTRICT],
                subjects=["英语", "物理"],
                updated_at=NOW,
            )
        )
    session.commit()
    return AbilityWorld(period, school, other, teacher, math, elsewhere, courses)


def school_admin(session: Session, school: School) -> Any:
    actor = make_account(session, "school", school=school)
    session.commit()
    return actor


# all D except the 评估与诊断 items (13–16): A → topic 评估与诊断
WEAK_ASSESSMENT = {i.number: ("A" if i.dimension == "评估与诊断" else "D") for i in questionnaire()}


def answer_rows(answers: dict[int, str] | None = None) -> list[list[Any]]:
    answers = WEAK_ASSESSMENT if answers is None else answers
    return [[i.number, i.text, answers.get(i.number)] for i in questionnaire()]


def answer_sheet(
    path: Path,
    rows: list[list[Any]] | None = None,
    headers: tuple[str, ...] = ("题号", "题目", "答案"),
) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(headers))
    for r in answer_rows() if rows is None else rows:
        ws.append(r)
    wb.save(path)
    return path
