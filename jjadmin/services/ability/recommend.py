"""课程推荐 (`ability recommend`): from the confirmed assessment's topic and the teacher's
subject and stage, the three required courses (通识必修, 专业必修, 校本研修: pre-selected, never
dropped) and the electives (任意选修, chosen by the teacher), each with its reason — the rules
are `rules/ability.recommend`; this step reads the period's 提升工程 catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.models import AbilitySelection, Course
from jjadmin.rules import ability as rules
from jjadmin.rules.codes import parse_period_code
from jjadmin.rules.enums import TrainingLevel
from jjadmin.rules.money import format_hours
from jjadmin.services.ability.common import (
    Participant,
    counted_assessment,
    participant,
    require_pilot,
)
from jjadmin.services.context import ServiceContext
from jjadmin.services.period_lookup import get_period

ABILITY = TrainingLevel.ABILITY_PROJECT.value
ONLINE = "上线"
ROLES = ("teacher", "school", "district", "city")


@dataclass(frozen=True)
class PickView:
    course_code: str
    course_name: str
    category: str
    hours: str
    dimension: str | None
    reason: str
    selected: bool = False


@dataclass(frozen=True)
class RecommendationView:
    period: str
    learner_no: str
    name: str
    subject: str
    stage: str
    topic: str
    required: list[PickView]
    electives: list[PickView]
    total_required: str
    missing_categories: list[str] = field(default_factory=list)
    confirmed: bool = False  # the teacher has confirmed their 提升工程 courses


def catalogue(session: Session, period: str) -> dict[str, tuple[int, rules.CatalogueCourse]]:
    """Course code → (id, the course as the rules see it) of the period's online 提升工程
    courses (one query)."""
    c = Course
    rows = session.execute(
        select(
            col(c.id),
            col(c.code),
            col(c.name),
            col(c.ability_category),
            col(c.hours),
            col(c.stages),
            col(c.subjects),
            col(c.ability_dimension),
            col(c.capacity),
            col(c.enrolled),
        ).where(col(c.period) == period, col(c.level) == ABILITY, col(c.status) == ONLINE)
    )
    out: dict[str, tuple[int, rules.CatalogueCourse]] = {}
    for cid, code, name, category, hours, stages, subjects, dim, capacity, enrolled in rows:
        seats = None if capacity is None else int(capacity) - int(enrolled)
        out[str(code)] = (
            int(cid or 0),
            rules.CatalogueCourse(
                str(code),
                str(name),
                str(category or ""),
                Decimal(hours),
                stages,
                subjects,
                dim,
                seats,
            ),
        )
    return out


def plan_for(
    session: Session, period: str, p: Participant
) -> tuple[int, str, rules.Recommendation, dict[str, tuple[int, rules.CatalogueCourse]]]:
    """(the counted assessment's id, its topic, the recommendation, the catalogue)."""
    assessment = counted_assessment(session, period, p.id)
    topic = str(assessment.result["topic"])
    courses = catalogue(session, period)
    rec = rules.recommend(
        (c for _, c in courses.values()), subject=p.subject, stage=p.stage, topic=topic
    )
    return int(assessment.id or 0), topic, rec, courses


def _view(pick: rules.Pick, selected: bool) -> PickView:
    return PickView(
        pick.code,
        pick.name,
        pick.category,
        format_hours(pick.hours),
        pick.dimension,
        pick.reason,
        selected,
    )


def recommend_courses(
    ctx: ServiceContext, *, period: str, learner_no: str | None = None
) -> RecommendationView:
    """The recommendation for the teacher (default: the logged-in one) — once courses are
    confirmed, the confirmed required courses stay the required ones.

    Raises PermissionDenied (3), NotFound (4), Conflict (5: not a pilot teacher, no
    confirmed assessment).
    """
    actor = ctx.require(*ROLES, action="查看提升工程课程推荐")
    code = parse_period_code(period)
    with ctx.reading() as session:
        get_period(session, code)
        p = participant(session, actor, learner_no, "查看提升工程课程推荐")
        require_pilot(session, code, p)
        _, topic, rec, courses = plan_for(session, code, p)
        chosen = {
            str(code_): (bool(required), str(reason), str(category))
            for code_, required, reason, category in session.execute(
                select(
                    col(Course.code),
                    col(AbilitySelection.required),
                    col(AbilitySelection.reason),
                    col(AbilitySelection.category),
                )
                .join(Course, col(Course.id) == col(AbilitySelection.course_id))
                .where(
                    col(AbilitySelection.teacher_id) == p.id,
                    col(AbilitySelection.period) == code,
                    col(AbilitySelection.state) == "active",
                )
            )
        }
    required = [_view(pick, bool(chosen)) for pick in rec.required]
    if any(req for req, _, _ in chosen.values()):
        # confirmed: the required courses are the ones confirmed (never changed)
        required = []
        for c_code, (req, reason, category) in sorted(chosen.items()):
            if req and c_code in courses:
                c = courses[c_code][1]
                required.append(
                    PickView(
                        c.code, c.name, category, format_hours(c.hours), c.dimension, reason, True
                    )
                )
        required.sort(key=lambda v: rules.REQUIRED_CATEGORIES.index(v.category))
    electives = [_view(pick, pick.code in chosen) for pick in rec.electives]
    total = sum((Decimal(v.hours) for v in required), Decimal(0))
    return RecommendationView(
        code,
        p.learner_no,
        p.name,
        p.subject,
        p.stage,
        topic,
        required,
        electives,
        format_hours(total),
        rec.missing_categories,
        bool(chosen),
    )
