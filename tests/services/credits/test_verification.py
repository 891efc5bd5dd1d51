"""年度验证 / 周期验证 against a known ledger, with hand-computed results."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from jjadmin.config import Settings
from jjadmin.errors import InvalidValue, NotFound, PermissionDenied
from jjadmin.services.credits import ledger, verification
from tests.conftest import CtxFactory
from tests.factories import NOW, make_account, make_school, make_teacher

SEPT = datetime.fromisoformat("2026-09-10T09:00:00+08:00")
OLD = datetime.fromisoformat("2020-05-01T09:00:00+08:00")
MID_CYCLE = datetime.fromisoformat("2023-03-01T09:00:00+08:00")


def _post(session: Session, tid: int, year: int, hours: str, kind: str, ref: str) -> None:
    ledger.post_credit(
        session,
        teacher_id=tid,
        year=year,
        hours=Decimal(hours),
        hour_type=kind,
        training_level="校本培训" if ref.startswith("S") else "全员培训",
        source="declaration",
        source_ref=ref,
        title=ref,
        now=NOW,
    )


@pytest.fixture
def known(session: Session) -> dict[str, object]:
    a = make_school(session, "4401040001", "440104")
    b = make_school(session, "4401050001", "440105")
    t1 = make_teacher(session, a, created_at=OLD)  # 30 + 30 + 12 = 72: passes
    t2 = make_teacher(session, a, created_at=SEPT)  # added in September: 24 required
    t3 = make_teacher(session, b, created_at=OLD)  # 50 in 2026, 100 in 2025: no carry-over
    t4 = make_teacher(session, a, created_at=MID_CYCLE)  # cycle: 3 of 5 years → 216
    make_teacher(session, a, created_at=OLD, status="退休")  # not verified
    make_teacher(session, a, created_at=datetime.fromisoformat("2027-02-01T09:00:00+08:00"))
    ids = {name: t.id or 0 for name, t in (("t1", t1), ("t2", t2), ("t3", t3), ("t4", t4))}
    _post(session, ids["t1"], 2026, "30", "公需科目", "1")
    _post(session, ids["t1"], 2026, "30", "专业科目", "2")
    _post(session, ids["t1"], 2026, "12", "个人选修", "S3")
    _post(session, ids["t2"], 2026, "24", "专业科目", "4")
    _post(session, ids["t3"], 2026, "50", "专业科目", "5")
    _post(session, ids["t3"], 2025, "100", "专业科目", "6")
    for year in range(2021, 2026):
        _post(session, ids["t1"], year, "72", "专业科目", f"c{year}")
    _post(session, ids["t4"], 2024, "216", "公需科目", "c4")
    known = {
        "city": make_account(session, "city"),
        "district": make_account(session, "district", district="440104"),
        "school": make_account(session, "school", school=a),
        "ln": {n: t.learner_no for n, t in (("t1", t1), ("t2", t2), ("t3", t3), ("t4", t4))},
    }
    session.commit()
    return known


def _rows(result: verification.Verification) -> list[tuple[str, str, str, str, str, str, bool]]:
    return [
        (r.learner_no, r.total, r.public, r.professional, r.elective, r.required, r.passed)
        for r in result.rows
    ]


def test_annual_verification_by_hand(known: dict, make_ctx: CtxFactory) -> None:
    ln = known["ln"]
    result = verification.annual_verification(make_ctx(known["city"]), year=2026)
    assert _rows(result) == [
        (ln["t1"], "72", "30", "30", "12", "72", True),
        (ln["t2"], "24", "0", "24", "0", "24", True),
        (ln["t4"], "0", "0", "0", "0", "72", False),
        (ln["t3"], "50", "0", "50", "0", "72", False),
    ]
    assert (result.teachers, result.passed, result.rate) == (4, 2, "50.0%")
    assert [(s.school_code, s.teachers, s.passed, s.rate) for s in result.schools] == [
        ("4401040001", 3, 2, "66.7%"),
        ("4401050001", 1, 0, "0.0%"),
    ]
    assert result.rows[0].school_based == "12"


def test_the_scope_limits_the_teachers(known: dict, make_ctx: CtxFactory) -> None:
    district = verification.annual_verification(make_ctx(known["district"]), year=2026)
    school = verification.annual_verification(make_ctx(known["school"]), year=2026)
    assert (
        {r.school_code for r in district.rows}
        == {"4401040001"}
        == {r.school_code for r in school.rows}
    )
    one = verification.annual_verification(make_ctx(known["city"]), year=2026, school="4401050001")
    assert [r.learner_no for r in one.rows] == [known["ln"]["t3"]]
    with pytest.raises(PermissionDenied):
        verification.annual_verification(
            make_ctx(known["district"]), year=2026, school="4401050001"
        )
    with pytest.raises(NotFound):
        verification.annual_verification(make_ctx(known["city"]), year=2026, school="4401999999")


def test_a_year_override_and_a_category_minimum(
    known: dict, make_ctx: CtxFactory, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        "[annual]\nrequired_hours = 72\n[years.2026.annual]\nrequired_hours = 60\n"
        "min_public = 31\n[cycle]\nlength_years = 5\nfirst_start_year = 2021\n"
        "required_hours = 360\n",
        "utf-8",
    )
    ctx = make_ctx(known["city"])
    ctx.settings = Settings(credit_rules=rules)
    result = verification.annual_verification(ctx, year=2026)
    assert result.required_hours == "60" and result.minimums["public"] == "31"
    ln = known["ln"]
    by = {r.learner_no: (r.required, r.passed) for r in result.rows}
    # t1 has 72 ≥ 60 but only 30 公需 < 31; t2: 60 × 4 / 12 = 20 required, but 0 公需
    assert by == {
        ln["t1"]: ("60", False),
        ln["t2"]: ("20", False),
        ln["t3"]: ("60", False),
        ln["t4"]: ("60", False),
    }


def test_cycle_verification_by_hand(known: dict, make_ctx: CtxFactory) -> None:
    ln = known["ln"]
    result = verification.cycle_verification(make_ctx(known["city"]), cycle="2021-2025")
    assert result.period == "2021-2025" and result.required_hours == "360"
    assert {r.learner_no: (r.total, r.required, r.passed) for r in result.rows} == {
        ln["t1"]: ("360", "360", True),
        ln["t4"]: ("216", "216", True),  # added 2023: 3 of 5 years
        ln["t3"]: ("100", "360", False),
    }  # t2 was added after the cycle
    with pytest.raises(InvalidValue):
        verification.cycle_verification(make_ctx(known["city"]), cycle="2022-2026")


def test_teachers_and_institutions_do_not_verify(
    known: dict, make_ctx: CtxFactory, session: Session
) -> None:
    inst = make_account(session, "institution", institution="某机构")
    session.commit()
    with pytest.raises(PermissionDenied):
        verification.annual_verification(make_ctx(inst), year=2026)
