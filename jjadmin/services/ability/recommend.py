"""课程推荐 (`ability recommend`): from the confirmed assessment's topic and the teacher's
subject and stage, the three required courses (通识必修, 专业必修, 校本研修: pre-selected, never
dropped) and the electives (任意选修, chosen by the teacher), each with its reason — the rules
are `rules/ability.recommend`; this step reads the period's 提升工程 catalogue.

Runs on the DB-API driver (ServiceContext.raw_reading) and imports no SQLAlchemy: a teacher
waits on it at the terminal (issue 11: ≤ 0.3 s with a 2,000-course catalogue).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from jjadmin.rawdb import RawReader
from jjadmin.rules import ability as rules
from jjadmin.rules.codes import parse_period_code
from jjadmin.rules.money import format_hours
from jjadmin.services.ability.common import (
    Participant,
    counted_assessment,
    participant,
    require_period,
    require_pilot,
)
from jjadmin.services.context import ServiceContext

ABILITY = "提升工程"  # rules.enums.TrainingLevel.ABILITY_PROJECT
ONLINE = "上线"
ROLES = ("teacher", "school", "district", "city")

Catalogue = dict[str, tuple[int, rules.CatalogueCourse]]


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


def _hours(value: object) -> Decimal:
    return Decimal(str(value))


def catalogue(db: RawReader, period: str) -> Catalogue:
    """Course code → (id, the course as the rules see it) of the period's online 提升工程
    courses (one query)."""
    out: Catalogue = {}
    for cid, code, name, category, hours, stages, subjects, dim, capacity, enrolled in db.rows(
        "SELECT id, code, name, ability_category, hours, stages, subjects, ability_dimension,"
        " capacity, enrolled FROM course"
        " WHERE period = :p AND level = :level AND status = :online",
        {"p": period, "level": ABILITY, "online": ONLINE},
    ):
        seats = None if capacity is None else int(capacity) - int(enrolled)
        out[str(code)] = (
            int(cid),
            rules.CatalogueCourse(
                str(code), str(name), str(category or ""), _hours(hours), stages, subjects, dim,
                seats,
            ),
        )  # fmt: skip
    return out


def plan_for(
    db: RawReader, period: str, p: Participant
) -> tuple[int, str, rules.Recommendation, Catalogue]:
    """(the counted assessment's id, its topic, the recommendation, the catalogue)."""
    assessment_id, topic = counted_assessment(db, period, p.id)
    courses = catalogue(db, period)
    rec = rules.recommend(
        (c for _, c in courses.values()), subject=p.subject, stage=p.stage, topic=topic
    )
    return assessment_id, topic, rec, courses


def _view(pick: rules.Pick, selected: bool) -> PickView:
    return PickView(
        pick.code, pick.name, pick.category, format_hours(pick.hours), pick.dimension,
        pick.reason, selected,
    )  # fmt: skip


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
    with ctx.raw_reading() as db:
        require_period(db, code)
        p = participant(db, actor, learner_no, "查看提升工程课程推荐")
        require_pilot(db, code, p)
        _, topic, rec, courses = plan_for(db, code, p)
        chosen = {
            str(c_code): (bool(required), str(reason), str(category))
            for c_code, required, reason, category in db.rows(
                "SELECT c.code, s.required, s.reason, s.category FROM ability_selection s"
                " JOIN course c ON c.id = s.course_id"
                " WHERE s.teacher_id = :t AND s.period = :p AND s.state = :active",
                {"t": p.id, "p": code, "active": "active"},
            )
        }
    required = [_view(pick, bool(chosen)) for pick in rec.required]
    if any(req for req, _, _ in chosen.values()):
        # confirmed: the required courses are the ones confirmed (never changed)
        required = []
        for c_code, (req, reason, category) in sorted(chosen.items()):
            if req and c_code in courses:
                c = courses[c_code][1]
                hours = format_hours(c.hours)
                required.append(
                    PickView(c.code, c.name, category, hours, c.dimension, reason, True)
                )
        required.sort(key=lambda v: rules.REQUIRED_CATEGORIES.index(v.category))
    electives = [_view(pick, pick.code in chosen) for pick in rec.electives]
    total = sum((Decimal(v.hours) for v in required), Decimal(0))
    return RecommendationView(
        code, p.learner_no, p.name, p.subject, p.stage, topic, required, electives,
        format_hours(total), rec.missing_categories, bool(chosen),
    )  # fmt: skip
