"""学时 rules without a database: scores, requirements, proration, the cycle grid."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from importlib import resources

import pytest

from jjadmin.errors import InvalidValue
from jjadmin.rules.credits import (
    annual_passed,
    annual_required,
    annual_rule,
    cycle_required,
    parse_cycle,
)
from jjadmin.rules.grades import Score, parse_score

RULES = tomllib.loads(
    resources.files("jjadmin").joinpath("data", "credit-rules.toml").read_text("utf-8")
)
OVERRIDE = RULES | {
    "years": {"2023": {"annual": {"required_hours": 90, "min_public": 30}}},
}


@pytest.mark.parametrize(
    ("cell", "score"),
    [
        (85, Score(Decimal("85.0"), True)),
        (60, Score(Decimal("60.0"), True)),
        (59.9, Score(Decimal("59.9"), False)),
        ("72.5", Score(Decimal("72.5"), True)),
        (0, Score(Decimal("0.0"), False)),
        ("100", Score(Decimal("100.0"), True)),
        ("合格", Score(None, True)),
        (" 不合格 ", Score(None, False)),
    ],
)
def test_a_score_is_a_number_0_to_100_or_a_word(cell: object, score: Score) -> None:
    assert parse_score(cell) == score


@pytest.mark.parametrize("cell", [101, -1, "良好", "85.25", "NaN", "Infinity", True, "", "1e2x"])
def test_anything_else_is_refused(cell: object) -> None:
    with pytest.raises(InvalidValue):
        parse_score(cell)


def test_a_score_shows_as_the_sheet_wrote_it() -> None:
    assert [parse_score(v).text for v in (85, 72.5, "合格", "不合格")] == [
        "85",
        "72.5",
        "合格",
        "不合格",
    ]


def test_the_annual_requirement_prorates_a_teacher_added_during_the_year_rounding_up() -> None:
    rule = annual_rule(RULES, 2026)
    assert rule.required_hours == 72
    assert annual_required(rule, date(2025, 6, 1)) == 72  # in post all year
    assert annual_required(rule, date(2026, 1, 10)) == 72  # January counts: 12 months
    assert annual_required(rule, date(2026, 9, 1)) == 24  # Sep–Dec: 72 × 4 / 12
    assert annual_required(rule, date(2026, 8, 31)) == 30  # 72 × 5 / 12 = 30
    assert annual_required(rule, date(2026, 6, 15)) == 42  # 72 × 7 / 12 = 42
    assert annual_required(annual_rule(OVERRIDE, 2023), date(2023, 4, 1)) == 68  # 90×9/12=67.5↑
    assert annual_required(rule, date(2027, 1, 1)) == 0


def test_a_year_overrides_the_defaults_and_minimums_count() -> None:
    rule = annual_rule(OVERRIDE, 2023)
    assert (rule.required_hours, rule.min_public, rule.min_professional) == (90, 30, 0)
    assert annual_rule(OVERRIDE, 2024).required_hours == 72
    d = Decimal
    assert annual_passed(rule, d(90), d(95), d(30), d(65), d(0), d(0))
    assert not annual_passed(rule, d(90), d(95), d(29.5), d(65.5), d(0), d(0))
    assert not annual_passed(rule, d(90), d(89), d(30), d(59), d(0), d(0))


def test_the_cycle_is_five_years_of_the_grid_and_prorates_by_years_rounding_up() -> None:
    rule = parse_cycle(RULES, "2021-2025")
    assert (rule.start, rule.end, rule.required_hours, rule.label) == (2021, 2025, 360, "2021-2025")
    assert parse_cycle(RULES, "2026—2030").label == "2026-2030"
    assert cycle_required(rule, date(2019, 3, 1)) == 360
    assert cycle_required(rule, date(2023, 9, 1)) == 216  # 3 of 5 years
    assert cycle_required(rule, date(2024, 1, 1)) == 144
    rule2 = parse_cycle(RULES | {"cycle": {**RULES["cycle"], "required_hours": 361}}, "2021-2025")
    assert cycle_required(rule2, date(2023, 1, 1)) == 217  # 216.6 rounds up
    assert cycle_required(rule, date(2026, 1, 1)) == 0


@pytest.mark.parametrize("text", ["2021-2024", "2022-2026", "2021", "二〇二一-2025", "2025-2021"])
def test_a_cycle_off_the_grid_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_cycle(RULES, text)
