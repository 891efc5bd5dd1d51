"""学习证明: passed courses only, one code per teacher and course, verify while the credit
stands."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, NotFound, PermissionDenied, VerificationRequired
from jjadmin.services.context import Actor
from jjadmin.services.credits import certificates
from tests.conftest import CtxFactory
from tests.factories import NOW, make_account
from tests.helpers_grades import World, build_world, grade_sheet, import_grades


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def _verified(actor: Actor) -> Actor:
    from dataclasses import replace

    return replace(actor, verified_until=NOW + timedelta(minutes=30))


def test_a_certificate_for_a_passed_course_is_verified_until_the_grade_is_withdrawn(
    world: World, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    ln = world.t1.learner_no
    import_grades(make_ctx, world.city, grade_sheet(tmp_path, [[ln, "C1", 92, None]], "a.xlsx"))
    city = _verified(world.city)
    cert = certificates.issue_certificate(make_ctx(city), learner_no=ln, course="C1", period="2601")
    assert (cert.learner_no, cert.course_code, cert.hours, cert.hour_type, cert.score) == (
        ln,
        "C1",
        "24",
        "专业科目",
        "92",
    )
    again = certificates.issue_certificate(
        make_ctx(city), learner_no=ln, course="C1", period="2601"
    )
    assert again.code == cert.code  # printing again keeps the code
    found = certificates.verify_certificate(make_ctx(), code=cert.code.lower().replace("-", ""))
    assert found.genuine and found.learner_no == ln and found.course_code == "C1"
    with pytest.raises(NotFound):
        certificates.verify_certificate(make_ctx(), code="AAAA-BBBB-CCCC")
    import_grades(make_ctx, world.city, grade_sheet(tmp_path, [[ln, "C1", 10, None]], "b.xlsx"))
    with pytest.raises(NotFound, match="已失效"):
        certificates.verify_certificate(make_ctx(), code=cert.code)


def test_no_certificate_for_a_course_not_passed(
    world: World, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    ln = world.t2.learner_no
    city = _verified(world.city)
    with pytest.raises(Conflict):
        certificates.issue_certificate(make_ctx(city), learner_no=ln, course="C1", period="2601")
    import_grades(make_ctx, world.city, grade_sheet(tmp_path, [[ln, "C1", "不合格", None]]))
    with pytest.raises(Conflict):
        certificates.issue_certificate(make_ctx(city), learner_no=ln, course="C1", period="2601")
    with pytest.raises(NotFound):
        certificates.issue_certificate(make_ctx(city), learner_no=ln, course="ZZ", period="2601")


def test_printing_needs_verification_and_the_scope(
    world: World, make_ctx: CtxFactory, session: Session, tmp_path: Path
) -> None:
    ln = world.t3.learner_no  # of school b, district 440105
    import_grades(make_ctx, world.city, grade_sheet(tmp_path, [[ln, "C1", 70, None]]))
    with pytest.raises(VerificationRequired):
        certificates.issue_certificate(
            make_ctx(world.city), learner_no=ln, course="C1", period="2601"
        )
    with pytest.raises(PermissionDenied):
        certificates.issue_certificate(
            make_ctx(_verified(world.district)), learner_no=ln, course="C1", period="2601"
        )
    other = make_account(session, "district", district="440105")
    session.commit()
    cert = certificates.issue_certificate(
        make_ctx(_verified(other)), learner_no=ln, course="C1", period="2601"
    )
    assert cert.school_name == world.b.name
