"""学时申报's pure rules: the two levels in order (a walk over every sequence of decisions),
the states the seed words, and the checks of one declaration's values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jjadmin.errors import InvalidValue
from jjadmin.rules.declarations import (
    APPROVED,
    DISTRICT,
    FIRST_STATE,
    RETURNED,
    SCHOOL,
    STATES,
    after_approval,
    check_dates,
    check_year,
    parse_declared_hours,
    parse_hour_type,
    parse_state,
    parse_year,
    review_problem,
)

TODAY = date(2026, 3, 15)

# one step: (actor, verb) with actor school|district|teacher and verb approve|return|resubmit
STEPS = st.lists(
    st.tuples(
        st.sampled_from([SCHOOL, DISTRICT, "teacher"]), st.sampled_from(["approve", "return"])
    ),
    max_size=12,
)


@given(STEPS)
def test_any_sequence_of_decisions_follows_the_seeds_order(steps: list[tuple[str, str]]) -> None:
    """A model of the service's state machine: every accepted decision is the waiting level's,
    the district approves only after the school in the same round, and 已通过 is final."""
    state, rnd, approved_by = FIRST_STATE, 1, set()
    credited = 0
    for who, verb in steps:
        if who == "teacher":  # a resubmission
            if state == RETURNED:
                state, rnd, approved_by = FIRST_STATE, rnd + 1, set()
            continue
        problem = review_problem(state, who)
        if problem is not None:
            assert state in (APPROVED, RETURNED) or (who == SCHOOL) != (state == FIRST_STATE)
            continue
        assert state == {SCHOOL: "待初审", DISTRICT: "待终审"}[who]
        if verb == "approve":
            if who == DISTRICT:
                assert SCHOOL in approved_by
            approved_by.add(who)
            state = after_approval(who)
            credited += state == APPROVED
        else:
            state = RETURNED
    assert credited <= 1
    assert state in STATES


def test_the_messages_say_why_in_chinese() -> None:
    assert review_problem("待初审", DISTRICT) == "该申报待初审，终审须在初审通过之后进行"
    assert review_problem("待终审", SCHOOL) == "初审已完成（现为待终审），不能重复审核"
    assert "退回" in (review_problem(RETURNED, SCHOOL) or "")
    assert "已通过终审" in (review_problem(APPROVED, DISTRICT) or "")
    assert review_problem("待初审", SCHOOL) is None and review_problem("待终审", DISTRICT) is None


@pytest.mark.parametrize(
    ("raw", "hours"), [("40", Decimal("40.0")), ("2.5", Decimal("2.5")), (1000, Decimal(1000))]
)
def test_hours(raw: object, hours: Decimal) -> None:
    assert parse_declared_hours(raw) == hours


@pytest.mark.parametrize("raw", ["0", "-1", "1000.1", "2.25", "良好", ""])
def test_bad_hours(raw: object) -> None:
    with pytest.raises(InvalidValue):
        parse_declared_hours(raw)


def test_years_dates_types_and_states() -> None:
    assert parse_year("2026年") == 2026 and parse_year(2026.0) == 2026
    with pytest.raises(InvalidValue):
        parse_year("26")
    assert check_year(2026, today=TODAY) == 2026
    for bad in (1999, 2027):
        with pytest.raises(InvalidValue):
            check_year(bad, today=TODAY)
    check_dates(2026, date(2026, 1, 1), date(2026, 1, 1), today=TODAY)
    for start, end, code in [
        (date(2026, 2, 2), date(2026, 2, 1), "date-order"),
        (date(2025, 12, 31), date(2026, 1, 2), "date-outside-year"),
        (date(2026, 3, 1), date(2026, 3, 16), "date-future"),
    ]:
        with pytest.raises(InvalidValue) as info:
            check_dates(2026, start, end, today=TODAY)
        assert info.value.code == code
    assert parse_hour_type(" 个人选修 ") == "个人选修"
    with pytest.raises(InvalidValue):
        parse_hour_type("选修")
    assert parse_state("已退回") == RETURNED
    with pytest.raises(InvalidValue):
        parse_state("returned")
