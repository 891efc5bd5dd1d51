"""The ledger: one row per (teacher, source, source_ref); upsert replaces, withdraw removes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jjadmin.models import CreditRecord
from jjadmin.services.credits import ledger
from tests.factories import NOW, make_school, make_teacher


def _rows(session: Session) -> list[tuple[int, str, str, int, str, str]]:
    session.expire_all()
    return [
        (r.teacher_id, r.source, r.source_ref, r.year, str(r.hours), r.hour_type)
        for r in session.execute(select(CreditRecord).order_by(CreditRecord.id)).scalars()  # type: ignore[arg-type]
    ]


def _post(session: Session, tid: int, ref: str, hours: str, year: int = 2026) -> None:
    ledger.post_credit(
        session,
        teacher_id=tid,
        year=year,
        hours=Decimal(hours),
        hour_type="专业科目",
        training_level="全员培训",
        source="grade",
        source_ref=ref,
        title="课程",
        now=NOW,
    )


def test_post_replaces_the_same_key_and_withdraw_removes_it(session: Session) -> None:
    school = make_school(session)
    t = make_teacher(session, school).id or 0
    _post(session, t, "7", "24")
    _post(session, t, "7", "12", year=2027)  # a re-grade replaces, never adds
    _post(session, t, "8", "6")
    session.commit()
    assert _rows(session) == [
        (t, "grade", "7", 2027, "12.0", "专业科目"),
        (t, "grade", "8", 2026, "6.0", "专业科目"),
    ]
    assert ledger.withdraw_credit(session, teacher_id=t, source="grade", source_ref="7")
    assert not ledger.withdraw_credit(session, teacher_id=t, source="grade", source_ref="7")
    session.commit()
    assert [r[2] for r in _rows(session)] == ["8"]


def test_bulk_post_and_withdraw_are_set_based_and_keyed(session: Session) -> None:
    school = make_school(session)
    ids = [make_teacher(session, school).id or 0 for _ in range(3)]
    credits = [
        ledger.Credit(tid, 2026, Decimal("4.5"), "公需科目", "grade", str(c), "课")
        for tid in ids
        for c in (1, 2)
    ]
    assert ledger.post_credits(session, credits, now=NOW) == 6
    assert ledger.post_credits(session, credits, now=NOW) == 6  # idempotent
    session.commit()
    assert len(_rows(session)) == 6
    assert ledger.withdraw_credits(session, "grade", [(ids[0], "1"), (ids[1], "2")]) == 2
    assert ledger.withdraw_credits(session, "declaration", [(ids[0], "2")]) == 0
    session.commit()
    assert len(_rows(session)) == 4


@pytest.mark.parametrize(
    "bad",
    [
        {"source": "gift"},
        {"hour_type": "体育"},
        {"hours": Decimal(0)},
        {"hours": Decimal("1000.5")},
        {"source_ref": ""},
    ],
)
def test_a_posting_out_of_the_rules_is_refused(session: Session, bad: dict[str, object]) -> None:
    values: dict[str, object] = {
        "teacher_id": 1,
        "year": 2026,
        "hours": Decimal(1),
        "hour_type": "公需科目",
        "source": "grade",
        "source_ref": "1",
        "title": "t",
    } | bad
    with pytest.raises(ValueError):
        ledger.post_credits(session, [ledger.Credit(**values)], now=NOW)  # type: ignore[arg-type]


def test_the_database_refuses_a_second_row_for_one_key(session: Session) -> None:
    school = make_school(session)
    t = make_teacher(session, school).id or 0
    for _ in range(2):
        session.add(
            CreditRecord(
                teacher_id=t,
                year=2026,
                hours=Decimal(1),
                hour_type="公需科目",
                source="ability",
                source_ref="2601",
                title="提升工程",
                created_at=NOW,
            )
        )
    with pytest.raises(IntegrityError):
        session.commit()


def test_a_group_posts_one_credit_for_many_teachers_and_replaces_on_the_key(
    session: Session,
) -> None:
    school = make_school(session)
    ids = [make_teacher(session, school).id or 0 for _ in range(3)]
    template = ledger.Credit(0, 2026, Decimal(24), "专业科目", "grade", "5", "课程", "全员培训")
    assert ledger.post_credit_groups(session, [(template, ids)], now=NOW) == 3
    shorter = template._replace(hours=Decimal(12))
    assert ledger.post_credit_groups(session, [(shorter, ids[:1])], now=NOW) == 1
    session.commit()
    assert sorted(r[4] for r in _rows(session)) == ["12.0", "24.0", "24.0"]
    with pytest.raises(ValueError):
        ledger.post_credit_groups(session, [(template._replace(source="x"), ids)], now=NOW)
