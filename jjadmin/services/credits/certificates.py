"""学习证明 (`credits certificate`, `me certificate`) and its check (`credits verify CODE`).

A certificate is printed for a passed course only (the seed: "如通过课程学习，点击“成绩打印”可以
打印学习证明"). Each (teacher, course) gets one verification code, kept in `certificate` with
what was certified; printing again reuses it. `verify` needs no login — an employer holding
the printout has only the code — and says genuine only while the course's credit still stands
in the ledger (a grade withdrawn since voids the certificate).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, NotFound, PermissionDenied
from jjadmin.models import Certificate, metadata
from jjadmin.rules.codes import normalize_course_code, normalize_learner_no, parse_period_code
from jjadmin.rules.grades import Score
from jjadmin.rules.money import format_hours
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.credits.ledger_queries import find_teacher
from jjadmin.services.identity import require_verified

ISSUERS = ("city", "district", "school", "institution")
PLATFORM = "广州市中小学教师继续教育网"
# no look-alikes (0/O, 1/I/L)
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class CertificateData:
    code: str
    learner_no: str
    name: str
    school_name: str
    period: str
    course_code: str
    course_name: str
    training_level: str
    hours: str
    hour_type: str
    score: str
    issuer: str
    issued_at: datetime
    platform: str = PLATFORM


def new_code() -> str:
    """'XXXX-XXXX-XXXX': 60 random bits in an alphabet without look-alikes."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_code(text: str) -> str:
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}" if len(raw) == 12 else text.strip().upper()


def _passed_course(
    session: Session, teacher_id: int, period: str, code: str
) -> tuple[int, str, str, str, Decimal, str, Decimal | None]:
    """(id, name, level, charging unit, hours, hour type, score) of a course the teacher
    passed. Raises NotFound (4), Conflict (5: not passed)."""
    tables = metadata.tables
    c, e, g = tables["course"], tables["enrollment"], tables["grade"]
    course = session.execute(
        select(c.c.id, c.c.name, c.c.level, c.c.charging_unit, c.c.hours, c.c.hour_type).where(
            c.c.period == period, c.c.code == code
        )
    ).first()
    if course is None:
        raise NotFound(f"课程不存在：{period} 期 {code}")
    graded = session.execute(
        select(g.c.score, g.c.passed)
        .join(e, e.c.id == g.c.enrollment_id)
        .where(e.c.teacher_id == teacher_id, e.c.course_id == course[0], g.c.passed.is_(True))
    ).first()
    if graded is None:
        raise Conflict(
            f"{period} 期课程 {code} 未通过（或尚未登记成绩），不能打印学习证明",
            hint="学习证明只为已通过的课程打印",
        )
    return (
        int(course[0]),
        course[1],
        course[2],
        course[3],
        Decimal(course[4]),
        course[5],
        None if graded[0] is None else Decimal(graded[0]),
    )


def _issue(
    session: Session, ctx: ServiceContext, actor: Actor, teacher_id: int, period: str, code: str
) -> CertificateData:
    cid, cname, level, issuer, hours, hour_type, score = _passed_course(
        session, teacher_id, period, code
    )
    t, s = metadata.tables["teacher"], metadata.tables["school"]
    ln, name, school_name = session.execute(
        select(t.c.learner_no, t.c.name, s.c.name)
        .join(s, s.c.id == t.c.school_id)
        .where(t.c.id == teacher_id)
    ).one()
    cert = session.execute(
        select(Certificate).where(
            Certificate.teacher_id == teacher_id,  # type: ignore[arg-type]
            Certificate.course_id == cid,  # type: ignore[arg-type]
        )
    ).scalar_one_or_none()
    if cert is None:
        cert = Certificate(
            code=new_code(),
            teacher_id=teacher_id,
            course_id=cid,
            period=period,
            learner_no=ln,
            teacher_name=name,
            school_name=school_name,
            course_code=code,
            course_name=cname,
            hours=hours,
            hour_type=hour_type,
            issuer=issuer[:100],
            issued_by=actor.account_id,
            issued_at=ctx.now,
        )
        session.add(cert)
        session.flush()
    audit.record(
        session,
        actor,
        ctx.now,
        "certificate.print",
        "certificate",
        cert.code,
        after={"learner_no": ln, "period": period, "course_code": code},
    )
    return CertificateData(
        code=cert.code,
        learner_no=ln,
        name=name,
        school_name=school_name,
        period=period,
        course_code=code,
        course_name=cname,
        training_level=level,
        hours=format_hours(hours),
        hour_type=hour_type,
        score=Score(score, True).text,
        issuer=cert.issuer,
        issued_at=cert.issued_at,
    )


def issue_certificate(
    ctx: ServiceContext, *, learner_no: str, course: str, period: str
) -> CertificateData:
    """学习证明 of a teacher in scope for a passed course (needs the SMS-verified session:
    the file carries a name and credit data).

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3), VerificationRequired (3),
    Conflict (5: the course is not passed).
    """
    actor = ctx.require(*ISSUERS, action="打印学习证明")
    require_verified(ctx, "打印学习证明（含学员姓名与学时）")
    ln = normalize_learner_no(learner_no)
    p, code = parse_period_code(period), normalize_course_code(course)
    with ctx.transaction() as session:
        tid, _, _ = find_teacher(session, actor, ln)
        return _issue(session, ctx, actor, tid, p, code)


def my_certificate(ctx: ServiceContext, *, course: str, period: str) -> CertificateData:
    """The logged-in teacher's own 学习证明 for a passed course.

    Raises PermissionDenied (3: not a teacher), NotFound (4), Conflict (5: not passed).
    """
    actor = ctx.require("teacher", action="打印本人学习证明")
    if actor.teacher_id is None:
        raise PermissionDenied("只有学员账号可以打印本人学习证明")
    p, code = parse_period_code(period), normalize_course_code(course)
    with ctx.transaction() as session:
        return _issue(session, ctx, actor, actor.teacher_id, p, code)


@dataclass(frozen=True)
class VerifiedCertificate:
    code: str
    genuine: bool
    learner_no: str
    name: str
    school_name: str
    period: str
    course_code: str
    course_name: str
    hours: str
    hour_type: str
    issuer: str
    issued_at: datetime


def verify_certificate(ctx: ServiceContext, *, code: str) -> VerifiedCertificate:
    """Whether a 学习证明 is genuine: its code is on record and the course's credit still
    stands. Needs no login (the code is on the printout).

    Raises NotFound (4): no such code, or the certificate no longer holds.
    """
    wanted = normalize_code(code)
    cr = metadata.tables["credit_record"]
    with ctx.reading() as session:
        cert = session.execute(
            select(Certificate).where(Certificate.code == wanted)  # type: ignore[arg-type]
        ).scalar_one_or_none()
        if cert is None:
            raise NotFound(f"验证码 {wanted} 不存在：该学习证明不是本平台出具的")
        standing = session.execute(
            select(cr.c.id).where(
                cr.c.teacher_id == cert.teacher_id,
                cr.c.source == "grade",
                cr.c.source_ref == str(cert.course_id),
            )
        ).first()
        if standing is None:
            raise NotFound(f"验证码 {wanted} 对应的学习证明已失效：该课程成绩已撤销或改为未通过")
        return VerifiedCertificate(
            code=cert.code,
            genuine=True,
            learner_no=cert.learner_no,
            name=cert.teacher_name,
            school_name=cert.school_name,
            period=cert.period,
            course_code=cert.course_code,
            course_name=cert.course_name,
            hours=format_hours(Decimal(cert.hours)),
            hour_type=cert.hour_type,
            issuer=cert.issuer,
            issued_at=cert.issued_at,
        )
