"""What the 专项培训 services share: the application as it is shown (with its review rounds),
who may see which applications, and the table handles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jjadmin.rawdb import RawReader, as_bool, as_utc, in_list
from jjadmin.rules.special_training import REJECTED, STAGE_LABELS
from jjadmin.services.context import Actor
from jjadmin.services.scope_rules import project_scope_sql, school_scope_sql

NOTE_MAX = 500
READ_ROLES = ("city", "district", "school", "institution", "system", "teacher")


@dataclass(frozen=True)
class ReviewView:
    """One decision: its stage, 通过 or 未通过, who decided, when and why."""

    stage: str
    stage_label: str
    decision: str
    reviewer: str | None
    reviewed_at: datetime
    reason: str | None


@dataclass(frozen=True)
class ApplicationView:
    id: int
    learner_no: str
    name: str
    school_code: str
    school_name: str
    period: str
    course_code: str
    course_name: str
    charging_unit: str
    state: str
    note: str | None
    applied_by: str | None
    applied_at: datetime
    decided_at: datetime | None
    reason: str | None  # why it was not approved (未通过)
    reviews: list[ReviewView] = field(default_factory=list)


VIEW_SQL = """
SELECT a.id, t.learner_no, t.name, s.code, s.name, c.period, c.code, c.name, c.charging_unit,
       a.state, a.note, ap.username, a.applied_at, a.decided_at
FROM special_training_application a
JOIN teacher t ON t.id = a.teacher_id
JOIN school s ON s.id = a.school_id
JOIN course c ON c.id = a.course_id
LEFT JOIN account ap ON ap.id = a.applied_by
"""

REVIEWS_SQL = """
SELECT r.application_id, r.stage, r.approved, r.reason, ac.username, r.reviewed_at
FROM special_training_review r
LEFT JOIN account ac ON ac.id = r.reviewed_by
WHERE r.application_id IN {ids}
ORDER BY r.application_id, r.reviewed_at, r.id
"""


def visible_sql(actor: Actor) -> tuple[str, dict[str, Any]]:
    """The applications the actor may see, as a WHERE condition on VIEW_SQL's aliases: those
    of the schools in its scope (SCOPE), of the projects it undertakes (PROJECTS), and a
    teacher's own."""
    school, params = school_scope_sql(actor, "s")
    project, more = project_scope_sql(actor, "c")
    params.update(more)
    params["scope_me"] = actor.teacher_id if actor.teacher_id is not None else -1
    return f"(({school}) OR ({project}) OR a.teacher_id = :scope_me)", params


def _reviews(db: RawReader, ids: list[int]) -> dict[int, list[ReviewView]]:
    found: dict[int, list[ReviewView]] = {i: [] for i in ids}
    if not ids:
        return found
    params: dict[str, Any] = {}
    sql = REVIEWS_SQL.format(ids=in_list("app", ids, params))
    for app_id, stage, approved, reason, reviewer, at in db.rows(sql, params):
        decided = as_utc(at)
        assert decided is not None
        found[int(app_id)].append(
            ReviewView(
                stage,
                STAGE_LABELS.get(stage, stage),
                "通过" if as_bool(approved) else "未通过",
                reviewer,
                decided,
                reason,
            )
        )
    return found


def views(db: RawReader, rows: list[tuple[Any, ...]]) -> list[ApplicationView]:
    """ApplicationViews of VIEW_SQL rows, each with its decisions."""
    ids = [int(r[0]) for r in rows]
    reviews = _reviews(db, ids)
    out: list[ApplicationView] = []
    for r in rows:
        rounds = reviews[int(r[0])]
        reason = next((x.reason for x in rounds if x.decision == "未通过"), None)
        applied = as_utc(r[12])
        assert applied is not None
        out.append(
            ApplicationView(
                id=int(r[0]),
                learner_no=r[1],
                name=r[2],
                school_code=r[3],
                school_name=r[4],
                period=r[5],
                course_code=r[6],
                course_name=r[7],
                charging_unit=r[8],
                state=r[9],
                note=r[10],
                applied_by=r[11],
                applied_at=applied,
                decided_at=as_utc(r[13]),
                reason=reason if r[9] == REJECTED else None,
                reviews=rounds,
            )
        )
    return out


def load_view(db: RawReader, application_id: int) -> ApplicationView:
    """One application with its review rounds (no scope check: the caller's)."""
    rows = db.rows(f"{VIEW_SQL} WHERE a.id = :id", {"id": application_id})
    return views(db, rows)[0]
