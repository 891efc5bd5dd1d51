"""能力提升工程 (信息技术应用能力提升工程) as pure rules: the diagnostic questionnaire and its
scoring, and which courses to recommend (选课指引).

- The questionnaire (data/ability-questionnaire.csv): 20 items, 4 for each of the five
  dimensions of the national ICT-competence standard (中小学教师信息技术应用能力标准):
  技术素养, 计划与准备, 组织与管理, 评估与诊断, 学习与发展. Answers A–D score 1–4; a
  dimension's score is the sum of its four items (4–16); the weakest dimension is the topic
  (a tie goes to the dimension named first by the standard).
- The courses (选课指引 4.(1)): 通识必修 8 学时 (any subject and stage), 专业必修 18 学时 (the
  teacher's subject and stage; one of the topic's dimension preferred), 校本研修 16 学时 (the
  teacher's subject); 任意选修 listed, ≥ 8 学时 in all; the selection is confirmed at ≥ 50
  学时 in total.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from jjadmin.errors import InvalidValue
from jjadmin.rules.enums import _read_csv
from jjadmin.rules.money import format_hours

DIMENSIONS = ("技术素养", "计划与准备", "组织与管理", "评估与诊断", "学习与发展")
ITEMS_PER_DIMENSION = 4
POINTS = {"A": 1, "B": 2, "C": 3, "D": 4}
MAX_ATTEMPTS = 3  # 选课指引 3.(4): 共有3次机会

GENERAL = "通识必修"
PROFESSIONAL = "专业必修"
SCHOOL_BASED = "校本研修"
ELECTIVE = "任意选修"
REQUIRED_CATEGORIES = (GENERAL, PROFESSIONAL, SCHOOL_BASED)
REQUIRED_HOURS = {GENERAL: Decimal(8), PROFESSIONAL: Decimal(18), SCHOOL_BASED: Decimal(16)}
ELECTIVE_MIN_HOURS = Decimal(8)
TOTAL_MIN_HOURS = Decimal(50)

ANSWER_LEGEND = "A 不符合（1 分）、B 基本不符合（2 分）、C 基本符合（3 分）、D 完全符合（4 分）"


class Item(NamedTuple):
    number: int
    dimension: str
    text: str


@cache
def questionnaire() -> tuple[Item, ...]:
    """The 20 items in order (package data)."""
    items = tuple(
        Item(int(n), dim, text) for n, dim, text in _read_csv("ability-questionnaire.csv")
    )
    assert [i.number for i in items] == list(range(1, len(items) + 1))
    assert all(sum(i.dimension == d for i in items) == ITEMS_PER_DIMENSION for d in DIMENSIONS)
    return items


def item_count() -> int:
    return len(questionnaire())


def parse_item_number(value: object) -> int:
    """A 题号 cell: 1..20 (an integral number, as text or number).

    Raises InvalidValue.
    """
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if isinstance(value, bool) or not text.isdigit():
        raise InvalidValue(f"题号应为 1–{item_count()} 的整数", code="item-number")
    number = int(text)
    if not 1 <= number <= item_count():
        raise InvalidValue(
            f"题号应为 1–{item_count()} 的整数（本问卷共 {item_count()} 题）", code="item-number"
        )
    return number


def parse_answer(value: object) -> str:
    """An 答案 cell: one of A, B, C, D (full-width and lower case accepted).

    Raises InvalidValue.
    """
    text = unicodedata.normalize("NFKC", str(value)).strip().upper()
    if text not in POINTS:
        raise InvalidValue("答案只能是 A、B、C、D 之一（" + ANSWER_LEGEND + "）", code="answer")
    return text


def missing_items(answers: Mapping[int, str]) -> list[int]:
    return [i.number for i in questionnaire() if i.number not in answers]


def score(answers: Mapping[int, str]) -> dict[str, int]:
    """Points per dimension (every item answered), in the standard's order."""
    scores = dict.fromkeys(DIMENSIONS, 0)
    for item in questionnaire():
        scores[item.dimension] += POINTS[answers[item.number]]
    return scores


def topic(scores: Mapping[str, int]) -> str:
    """The weakest dimension; a tie goes to the one the standard names first."""
    return min(DIMENSIONS, key=lambda d: (scores[d], DIMENSIONS.index(d)))


# --- recommendation ---------------------------------------------------------------------------


class CatalogueCourse(NamedTuple):
    """A 提升工程 course as the recommendation sees it. `seats` None = unlimited."""

    code: str
    name: str
    category: str
    hours: Decimal
    stages: str | None
    subjects: str | None
    dimension: str | None
    seats: int | None


@dataclass(frozen=True)
class Pick:
    code: str
    name: str
    category: str
    hours: Decimal
    dimension: str | None
    reason: str


@dataclass(frozen=True)
class Recommendation:
    required: list[Pick]
    electives: list[Pick]
    missing_categories: list[str]

    @property
    def total_required(self) -> Decimal:
        return sum((p.hours for p in self.required), Decimal(0))


def _values(joined: str | None) -> set[str]:
    return {v.strip() for v in (joined or "").replace(",", "、").split("、") if v.strip()}


def _fits(values: str | None, wanted: str) -> int:
    """2: names `wanted`; 1: names nothing (any); 0: names others only."""
    named = _values(values)
    if not named:
        return 1
    return 2 if wanted in named else 0


def _has_seats(c: CatalogueCourse) -> bool:
    return c.seats is None or c.seats > 0


def recommend(
    catalogue: Iterable[CatalogueCourse], *, subject: str, stage: str, topic: str
) -> Recommendation:
    """The three required courses (one per category, the best fit with free seats) and the
    electives open to the teacher (the topic's dimension first), each with its reason."""
    by_category: dict[str, list[CatalogueCourse]] = {}
    for c in catalogue:
        if _has_seats(c):
            by_category.setdefault(c.category, []).append(c)
    required: list[Pick] = []
    missing: list[str] = []
    general = sorted(
        by_category.get(GENERAL, []),
        key=lambda c: (c.hours != REQUIRED_HOURS[GENERAL], c.code),
    )
    if general:
        c = general[0]
        required.append(
            _pick(c, f"通识必修课程（不分学科和学段，{_h(REQUIRED_HOURS[GENERAL])} 学时必修）")
        )
    else:
        missing.append(GENERAL)
    professional = [
        c
        for c in by_category.get(PROFESSIONAL, [])
        if _fits(c.subjects, subject) and _fits(c.stages, stage)
    ]
    professional.sort(
        key=lambda c: (
            c.dimension != topic,
            -_fits(c.subjects, subject),
            -_fits(c.stages, stage),
            c.hours != REQUIRED_HOURS[PROFESSIONAL],
            c.code,
        )
    )
    if professional:
        c = professional[0]
        why = f"专业必修课程（{_match(c, subject, stage)}，18 学时必修）"
        if c.dimension == topic:
            why += f"；属于您的测评主题“{topic}”"
        else:
            why += f"；本期没有“{topic}”维度的适用课程"
        required.append(_pick(c, why))
    else:
        missing.append(PROFESSIONAL)
    school_based = [c for c in by_category.get(SCHOOL_BASED, []) if _fits(c.subjects, subject)]
    school_based.sort(
        key=lambda c: (-_fits(c.subjects, subject), c.hours != REQUIRED_HOURS[SCHOOL_BASED], c.code)
    )
    if school_based:
        c = school_based[0]
        why = f"按学科“{subject}”匹配" if _fits(c.subjects, subject) == 2 else "适用学科不限"
        required.append(_pick(c, f"校本研修课程（{why}，16 学时必修）"))
    else:
        missing.append(SCHOOL_BASED)
    electives = [
        c
        for c in by_category.get(ELECTIVE, [])
        if _fits(c.subjects, subject) and _fits(c.stages, stage)
    ]
    electives.sort(key=lambda c: (c.dimension != topic, c.code))
    picks = [
        _pick(
            c,
            f"任意选修（属于您的测评主题“{topic}”）"
            if c.dimension == topic
            else "任意选修（适用于您的学科和学段）",
        )
        for c in electives
    ]
    return Recommendation(required, picks, missing)


def _match(c: CatalogueCourse, subject: str, stage: str) -> str:
    subject_fit = f"学科“{subject}”" if _fits(c.subjects, subject) == 2 else "学科不限"
    stage_fit = f"学段“{stage}”" if _fits(c.stages, stage) == 2 else "学段不限"
    return f"按{subject_fit}、{stage_fit}匹配"


def _pick(c: CatalogueCourse, reason: str) -> Pick:
    return Pick(c.code, c.name, c.category, c.hours, c.dimension, reason)


def _h(hours: Decimal) -> str:
    return format_hours(hours)


def shortfall(hours: Sequence[Decimal]) -> Decimal:
    """How many 学时 are missing to TOTAL_MIN_HOURS (0 when reached)."""
    return max(Decimal(0), TOTAL_MIN_HOURS - sum(hours, Decimal(0)))
