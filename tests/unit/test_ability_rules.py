"""能力提升工程 rules as pure functions: the questionnaire, scoring, the topic, and the
recommendation over a catalogue table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jjadmin.errors import InvalidValue
from jjadmin.rules import ability as rules
from jjadmin.rules.ability import CatalogueCourse as C


def test_the_questionnaire_has_20_items_4_per_dimension_of_the_standard() -> None:
    items = rules.questionnaire()
    assert [i.number for i in items] == list(range(1, 21))
    assert rules.DIMENSIONS == ("技术素养", "计划与准备", "组织与管理", "评估与诊断", "学习与发展")
    for d in rules.DIMENSIONS:
        assert sum(i.dimension == d for i in items) == 4
    assert all(i.text for i in items)


@pytest.mark.parametrize(("raw", "expected"), [("A", "A"), ("b", "B"), (" Ｃ ", "C"), ("d", "D")])
def test_answers_a_to_d_in_any_case_or_width(raw: str, expected: str) -> None:
    assert rules.parse_answer(raw) == expected


@pytest.mark.parametrize("raw", ["E", "AB", "1", "", "是", "4"])
def test_anything_else_is_refused(raw: str) -> None:
    with pytest.raises(InvalidValue, match="A、B、C、D"):
        rules.parse_answer(raw)


@pytest.mark.parametrize(("raw", "expected"), [(1, 1), ("20", 20), (7.0, 7), ("１２", 12)])
def test_item_numbers(raw: object, expected: int) -> None:
    assert rules.parse_item_number(raw) == expected


@pytest.mark.parametrize("raw", [0, 21, "七", 2.5, True, "-1"])
def test_bad_item_numbers(raw: object) -> None:
    with pytest.raises(InvalidValue, match="题号"):
        rules.parse_item_number(raw)


def test_scores_are_sums_of_points_and_the_weakest_is_the_topic() -> None:
    answers = {
        i.number: ("B" if i.dimension == "组织与管理" else "C") for i in rules.questionnaire()
    }
    scores = rules.score(answers)
    assert scores == {"技术素养": 12, "计划与准备": 12, "组织与管理": 8, "评估与诊断": 12,
                      "学习与发展": 12}  # fmt: skip
    assert rules.topic(scores) == "组织与管理"
    assert rules.topic(dict.fromkeys(rules.DIMENSIONS, 9)) == "技术素养"  # a tie: first named
    assert rules.missing_items({1: "A", 3: "B"})[:3] == [2, 4, 5]


def c(code: str, cat: str, hours: int, dim: str | None = None, subj: str | None = None,
      stage: str | None = None, seats: int | None = None) -> C:  # fmt: skip
    return C(code, f"课程{code}", cat, Decimal(hours), stage, subj, dim, seats)


CATALOGUE = [
    c("G6", "通识必修", 6),
    c("G8", "通识必修", 8),
    c("P-any", "专业必修", 18, "评估与诊断"),
    c("P-eng", "专业必修", 18, "技术素养", "英语", "初中"),
    c("P-eng-topic", "专业必修", 18, "评估与诊断", "英语", "初中"),
    c("P-full", "专业必修", 18, "评估与诊断", "英语", "初中", seats=0),
    c("P-math", "专业必修", 18, "评估与诊断", "数学", "初中"),
    c("P-primary", "专业必修", 18, "评估与诊断", "英语", "小学"),
    c("S-any", "校本研修", 16),
    c("S-eng", "校本研修", 16, subj="英语、物理"),
    c("E1", "任意选修", 4, "技术素养"),
    c("E2", "任意选修", 4, "评估与诊断"),
    c("E-math", "任意选修", 4, subj="数学"),
]


def test_the_recommendation_over_a_catalogue() -> None:
    rec = rules.recommend(CATALOGUE, subject="英语", stage="初中", topic="评估与诊断")
    assert [(p.code, p.category) for p in rec.required] == [
        ("G8", "通识必修"),  # 8 h preferred
        ("P-eng-topic", "专业必修"),  # subject, stage and the topic; the full one skipped
        ("S-eng", "校本研修"),  # the subject named over "any"
    ]
    assert rec.total_required == Decimal(42)
    assert [p.code for p in rec.electives] == ["E2", "E1"]  # the topic first; 数学 left out
    assert "评估与诊断" in rec.required[1].reason and "学科“英语”" in rec.required[1].reason
    assert rec.missing_categories == []


def test_without_a_course_of_the_topic_another_fitting_one_is_named_so() -> None:
    rec = rules.recommend(CATALOGUE, subject="英语", stage="初中", topic="学习与发展")
    assert rec.required[1].code == "P-eng"  # an explicit match before "any"
    assert "没有“学习与发展”维度" in rec.required[1].reason


def test_a_teacher_nothing_fits_is_told_which_categories_are_missing() -> None:
    only_general = [c("G8", "通识必修", 8), c("P-math", "专业必修", 18, subj="数学")]
    rec = rules.recommend(only_general, subject="英语", stage="高中", topic="技术素养")
    assert [p.code for p in rec.required] == ["G8"]
    assert rec.missing_categories == ["专业必修", "校本研修"]


@pytest.mark.parametrize(("hours", "missing"), [([42, 4], 4), ([42, 8], 0), ([42, 4, 8], 0),
                                               ([42], 8), ([], 50)])  # fmt: skip
def test_shortfall_to_50_hours(hours: list[int], missing: int) -> None:
    assert rules.shortfall([Decimal(h) for h in hours]) == Decimal(missing)
