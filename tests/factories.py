"""Tiny explicit factories for service tests (the template's tests/utils)."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from jjadmin.models import Account, School, Teacher
from jjadmin.services.context import Actor

_seq = itertools.count(1)
NOW = datetime.fromisoformat("2026-03-15T10:00:00+08:00")

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def id_number(
    region: str = "440104", birth: str = "19900101", seq: int | None = None, male: bool = True
) -> str:
    """A valid 18-digit ID number (GB 11643 checksum)."""
    n = next(_seq) if seq is None else seq
    order = (n % 500) * 2 + (1 if male else 0)
    body = f"{region}{birth}{order % 1000:03d}"
    check = CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]
    return body + check


def make_school(
    session: Session, code: str | None = None, district: str = "440104", **over: Any
) -> School:
    code = code or f"44{district[-2:]}{next(_seq):06d}"
    values: dict[str, Any] = {
        "code": code,
        "name": f"测试学校{code[-4:]}",
        "district_code": district,
        "school_type": "小学",
        "seal_name": f"广州市测试学校{code[-4:]}",
        "town": "测试街",
        "nature": "公办",
        "head_name": "校长",
        "head_mobile": "13800138000",
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(over)
    school = School(**values)
    session.add(school)
    session.flush()
    return school


def make_account(
    session: Session,
    role: str = "city",
    *,
    username: str | None = None,
    school: School | None = None,
    district: str | None = None,
    institution: str | None = None,
    mobile: str = "13900139000",
    password_hash: str | None = None,
    verified_until: datetime | None = None,
) -> Actor:
    """An account row plus the Actor that acts as it."""
    username = username or f"{role}{next(_seq)}"
    account = Account(
        username=username,
        role=role,
        name=f"{role}管理员",
        mobile=mobile,
        password_hash=password_hash,
        district_code=district,
        school_id=school.id if school else None,
        institution=institution,
        created_at=NOW,
    )
    session.add(account)
    session.flush()
    return Actor(
        account.id,
        username,
        role,
        account.name,
        district_code=district,
        school_id=school.id if school else None,
        school_code=school.code if school else None,
        institution=institution,
        verified_until=verified_until,
    )


def make_teacher(
    session: Session, school: School, *, learner_no: str | None = None, **over: Any
) -> Teacher:
    n = next(_seq)
    ident = over.pop("id_number", None) or id_number(seq=n)
    values: dict[str, Any] = {
        "learner_no": learner_no or f"440126{n:08d}",
        "name": f"教师{n}",
        "id_number": ident,
        "gender": "男",
        "birth_date": date(1990, 1, 1),
        "mobile": "13700137000",
        "school_id": school.id,
        "stage": "小学",
        "subject": "语文",
        "status": "在职",
        "review_state": "normal",
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(over)
    teacher = Teacher(**values)
    session.add(teacher)
    session.flush()
    return teacher


def login_teacher(make_ctx: Any, learner_no: str, first_password: str) -> str:
    """A teacher's session token after the first login, the first password replaced by
    "Teach3rPass" (a first or reset password allows nothing else)."""
    from jjadmin.services import auth, passwords

    token = auth.login(make_ctx(), learner_no, first_password).token
    passwords.change_password(make_ctx(credentials=token), old=first_password, new="Teach3rPass")
    return token
