"""Audit rows: written in the change's transaction, listed within the actor's scope."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from jjadmin.errors import PermissionDenied
from jjadmin.services import audit
from jjadmin.services.context import Actor
from tests.conftest import CtxFactory
from tests.factories import NOW, make_account, make_school


def _record(session: Session, actor: Actor, action: str, minutes: int = 0) -> None:
    audit.record(
        session,
        actor,
        NOW + timedelta(minutes=minutes),
        action,
        "school",
        "4401040001",
        before={"when": date(2026, 1, 1)},
        after={"fee": Decimal("12.50"), "at": NOW},
    )


def test_audit_list_filters_by_actor_action_and_time(
    session: Session, make_ctx: CtxFactory
) -> None:
    city = make_account(session, "city", username="boss")
    other = make_account(session, "city", username="deputy")
    _record(session, city, "school.set", 0)
    _record(session, city, "school.import", 5)
    _record(session, other, "account.add", 10)
    session.commit()
    rows, total = audit.list_audit(make_ctx(city))
    assert total == 3
    assert [r.action for r in rows] == ["account.add", "school.import", "school.set"]
    assert rows[-1].before == {"when": "2026-01-01"}
    assert rows[-1].after == {"fee": "12.50", "at": NOW.isoformat()}
    assert [r.action for r in audit.list_audit(make_ctx(city), actor_name="deputy")[0]] == [
        "account.add"
    ]
    assert audit.list_audit(make_ctx(city), action="school.")[1] == 2
    since = audit.list_audit(make_ctx(city), since=NOW + timedelta(minutes=5))[0]
    assert [r.action for r in since] == ["account.add", "school.import"]
    limited, total = audit.list_audit(make_ctx(city), limit=1)
    assert (len(limited), total) == (1, 3)


def test_a_district_sees_only_its_own_and_its_schools_rows(
    session: Session, make_ctx: CtxFactory
) -> None:
    yx_school = make_school(session, district="440104")
    th_school = make_school(session, district="440106")
    yx = make_account(session, "district", username="yx", district="440104")
    th = make_account(session, "district", username="th", district="440106")
    yx_admin = make_account(session, "school", username="yx_admin", school=yx_school)
    th_admin = make_account(session, "school", username="th_admin", school=th_school)
    city = make_account(session, "city", username="boss")
    for actor in (yx, th, yx_admin, th_admin, city):
        _record(session, actor, "school.set")
    session.commit()
    assert {r.actor for r in audit.list_audit(make_ctx(yx))[0]} == {"yx", "yx_admin"}
    assert {r.actor for r in audit.list_audit(make_ctx(th_admin))[0]} == {"th_admin"}
    assert len(audit.list_audit(make_ctx(city))[0]) == 5


def test_teachers_cannot_read_the_audit_log(session: Session, make_ctx: CtxFactory) -> None:
    teacher = make_account(session, "teacher")
    session.commit()
    with pytest.raises(PermissionDenied):
        audit.list_audit(make_ctx(teacher))


def test_jsonable_turns_dates_and_decimals_into_strings() -> None:
    value = {"d": date(2026, 3, 1), "t": datetime(2026, 3, 1, 8, 0), "m": [Decimal("1.00")]}
    assert audit.jsonable(value) == {"d": "2026-03-01", "t": "2026-03-01T08:00:00", "m": ["1.00"]}
