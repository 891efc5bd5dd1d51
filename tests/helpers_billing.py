"""A small city for the billing tests: two districts, three schools, period 2601 with fee-due,
material-fee, free and district-level courses, teachers and their enrollments.

Bills it should produce after selection (2601: selection 03-01..03-31, payment by 04-15):
  a1 × 广州市广播电视大学: t1 C1 120 + t1 C2 (60+20) + t2 C1 120 = 320.00 (3 人次)
  a1 × 越秀区教师发展中心: t1 D1 50.00 (1 人次)
  b1 × 广州市广播电视大学: t3 C1 120 + t3 C2 80 = 200.00 (2 人次)
(F1 is free: never billed, never unpaid.)
"""

from __future__ import annotations

import base64
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.models import Bill, Course, Enrollment, School, SpecialUser, Teacher
from jjadmin.services.context import Actor
from tests.factories import make_account, make_school, make_teacher
from tests.helpers_courses import make_course, make_period
from tests.helpers_transfers import enroll

YUEXIU, TIANHE = "440104", "440106"
TV = "广州市广播电视大学"
YX_CENTRE = "越秀区教师发展中心"
SELECTING = datetime.fromisoformat("2026-03-15T10:00:00+08:00")
AFTER_SELECTION = datetime.fromisoformat("2026-04-01T10:00:00+08:00")
AFTER_DEADLINE = datetime.fromisoformat("2026-04-16T02:00:00+08:00")


@dataclass
class City:
    a1: School
    a2: School
    b1: School
    city: Actor
    system: Actor
    dist_a: Actor
    dist_b: Actor
    admin_a1: Actor
    admin_b1: Actor
    tv: Actor  # the institution charging the 全员培训 courses
    yx_centre: Actor  # the district's charging institution
    t1: Teacher
    t2: Teacher
    t3: Teacher
    courses: dict[str, Course] = field(default_factory=dict)
    enrollments: dict[tuple[str, str], Enrollment] = field(default_factory=dict)


def build_city(session: Session, *, verified_until: datetime | None = None) -> City:
    a1 = make_school(
        session, "4401040001", YUEXIU, name="越秀一小", seal_name="广州市越秀区第一小学"
    )
    a2 = make_school(session, "4401040002", YUEXIU, name="越秀二小")
    b1 = make_school(
        session, "4401060001", TIANHE, name="天河一小", seal_name="广州市天河区第一小学"
    )
    p = make_period(session)
    courses = {
        "C1": make_course(session, p, "C1", fee=12000, charging_unit=TV),
        "C2": make_course(session, p, "C2", fee=6000, material_fee=2000, charging_unit=TV),
        "F1": make_course(session, p, "F1", fee=0, charging_unit=TV),
        "D1": make_course(
            session, p, "D1", level="区级培训", district=YUEXIU, fee=5000, charging_unit=YX_CENTRE
        ),
    }
    city = City(
        a1=a1,
        a2=a2,
        b1=b1,
        city=make_account(session, "city", verified_until=verified_until),
        system=make_account(session, "system"),
        dist_a=make_account(session, "district", district=YUEXIU, verified_until=verified_until),
        dist_b=make_account(session, "district", district=TIANHE),
        admin_a1=make_account(session, "school", school=a1, verified_until=verified_until),
        admin_b1=make_account(session, "school", school=b1),
        tv=make_account(session, "institution", institution=TV),
        yx_centre=make_account(session, "institution", institution=YX_CENTRE),
        t1=make_teacher(session, a1, name="张一"),
        t2=make_teacher(session, a1, name="李二"),
        t3=make_teacher(session, b1, name="王三"),
        courses=courses,
    )
    for teacher, codes in ((city.t1, "C1 C2 F1 D1"), (city.t2, "C1"), (city.t3, "C1 C2")):
        for code in codes.split():
            city.enrollments[(teacher.name, code)] = enroll(session, teacher, courses[code])
    session.commit()
    return city


NEXT_DEADLINE = datetime.fromisoformat("2026-10-16T02:00:00+08:00")


def next_period_debt(session: Session, teacher: Teacher, code: str = "X1") -> Enrollment:
    """Period 2602 (selection 09-01..09-30, payment by 10-15) and an unpaid, fee-due
    enrollment of `teacher` in it: closing 2602 after NEXT_DEADLINE flags the teacher again."""
    from jjadmin.models import Period

    if session.get(Period, "2602") is None:
        make_period(
            session,
            "2602",
            select_from=datetime.fromisoformat("2026-09-01T00:00:00+08:00"),
            select_to=datetime.fromisoformat("2026-09-30T23:59:59+08:00"),
            pay_by=datetime.fromisoformat("2026-10-15T23:59:59+08:00"),
        )
    found = session.execute(
        select(Course).where(Course.period == "2602", Course.code == code)  # type: ignore[arg-type]
    ).scalar_one_or_none()
    course = found or make_course(session, "2602", code, fee=9000, charging_unit=TV)
    row = enroll(session, teacher, course)
    session.commit()
    return row


def bills_by_key(session: Session) -> dict[tuple[str, str], Bill]:
    """(school code, charging unit) → the bill (the latest one of the key)."""
    rows = session.execute(
        select(Bill, School.code)
        .join(School, School.id == Bill.school_id)  # type: ignore[arg-type]
        .order_by(Bill.id)  # type: ignore[arg-type]
        .execution_options(populate_existing=True)
    ).all()
    session.commit()  # end the read: the services open their own transactions
    return {(code, b.charging_unit): b for b, code in rows}


def enrollment_row(session: Session, e: Enrollment) -> Enrollment:
    found = session.get(Enrollment, e.id, populate_existing=True)
    assert found is not None
    session.commit()
    return found


def flags(session: Session) -> list[SpecialUser]:
    stmt = select(SpecialUser).order_by(SpecialUser.id)  # type: ignore[arg-type]
    found = list(session.execute(stmt.execution_options(populate_existing=True)).scalars())
    session.commit()
    return found


def pdf_text(path: Path) -> str:
    """The text drawn in a reportlab PDF (our CID font writes UTF-16BE strings)."""
    data = path.read_bytes()
    chunks = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\n?endstream", data, re.S):
        body = match.group(1)
        if body.rstrip().endswith(b"~>"):  # reportlab's /ASCII85Decode /FlateDecode
            body = base64.a85decode(body.rstrip()[:-2].replace(b"\n", b""))
        try:
            chunks.append(zlib.decompress(body))
        except zlib.error:
            continue
    out: list[str] = []
    for chunk in chunks:
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", chunk, re.S):
            raw = _unescape(literal)
            try:
                out.append(raw.decode("utf-16-be"))
            except UnicodeDecodeError:
                out.append(raw.decode("latin-1"))
    return "".join(out)


def _unescape(literal: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(literal):
        c = literal[i]
        if c != 0x5C:  # backslash
            out.append(c)
            i += 1
            continue
        nxt = literal[i + 1 : i + 2]
        if nxt and nxt in b"01234567":
            digits = re.match(rb"[0-7]{1,3}", literal[i + 1 : i + 4])
            assert digits is not None
            out.append(int(digits.group(0), 8) & 0xFF)
            i += 1 + len(digits.group(0))
            continue
        out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(nxt, nxt)
        i += 2
    return bytes(out)


def as_dict(obj: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(obj)


def load_big_city(url: str, *, schools: int, teachers: int, per_teacher: int = 10) -> None:
    """A migrated database at `url` filled with a city in bulk (Core executemany): schools of
    440104, `teachers` teachers, 30 courses of 2601 (three charging units, fee due) and
    `per_teacher` enrollments each; plus the city account `admin`."""
    from sqlalchemy import insert

    from jjadmin.db import make_engine, migrate, session_factory
    from jjadmin.models import Account, Period
    from jjadmin.services.accounts import seed_districts
    from tests.factories import NOW, id_number

    engine = make_engine(url, create=True)
    migrate(engine)
    units = (TV, "广州市教师继续教育指导中心", "广州市教育研究院")
    with session_factory(engine)() as s:
        seed_districts(s)
        s.add(
            Period(
                code="2601",
                select_from=datetime.fromisoformat("2026-03-01T00:00:00+08:00"),
                select_to=datetime.fromisoformat("2026-03-31T23:59:59+08:00"),
                pay_by=datetime.fromisoformat("2026-04-15T23:59:59+08:00"),
                created_at=NOW,
            )
        )
        s.add(Account(username="admin", role="city", name="市管理员", created_at=NOW))
        s.flush()
        common = {"created_at": NOW, "updated_at": NOW}
        s.execute(
            insert(School),
            [
                {
                    "id": i + 1,
                    "code": f"44010{i:05d}",
                    "name": f"学校{i}",
                    "district_code": YUEXIU,
                    "school_type": "小学",
                    "seal_name": f"广州市学校{i}",
                    "town": "街",
                    "nature": "公办",
                    "head_name": "校长",
                    "head_mobile": "13800138000",
                    **common,
                }
                for i in range(schools)
            ],
        )
        s.execute(
            insert(Course),
            [
                {
                    "id": i + 1,
                    "period": "2601",
                    "code": f"C{i:03d}",
                    "name": f"课程{i}",
                    "level": "全员培训",
                    "course_type": "远程",
                    "hour_type": "专业科目",
                    "hours": 24,
                    "fee": 6000 + 1000 * (i % 3),
                    "material_fee": 0,
                    "charging_unit": units[i % 3],
                    "enrolled": 0,
                    **common,
                }
                for i in range(30)
            ],
        )
        s.execute(
            insert(Teacher),
            [
                {
                    "id": i + 1,
                    "learner_no": f"440126{i + 1:08d}",
                    "name": f"教师{i}",
                    "id_number": id_number(seq=i % 400 + 1, birth=f"19{60 + i // 400 % 40}0101"),
                    "gender": "男",
                    "birth_date": datetime(1990, 1, 1).date(),
                    "mobile": "13700137000",
                    "school_id": i % schools + 1,
                    "stage": "小学",
                    "subject": "语文",
                    **common,
                }
                for i in range(teachers)
            ],
        )
        s.execute(
            insert(Enrollment),
            [
                {
                    "period": "2601",
                    "course_id": (t + j * 7) % 30 + 1,
                    "teacher_id": t + 1,
                    "school_id": t % schools + 1,
                    "state": "active",
                    "paid": False,
                    "created_at": NOW,
                }
                for t in range(teachers)
                for j in range(per_teacher)
            ],
        )
        if engine.dialect.name == "postgresql":
            from sqlalchemy import text

            for table in ("school", "teacher", "course", "enrollment"):
                s.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
                )
        s.commit()
    engine.dispose()
