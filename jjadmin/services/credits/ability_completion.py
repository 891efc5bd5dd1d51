"""能力提升工程 completion → the ledger (SPEC §6 Credits: "an ability-project completion").

A pilot teacher's 提升工程 courses of a period are credited as one project, once: when every
course of their confirmed selection (`ability confirm`, table ability_selection) holds a
passed grade, the project's hours (the sum of those courses') are posted with source
``ability`` and source_ref the period code; a later fail (or an undone grade) withdraws it
again. The courses' own grades credit nothing (`grades._write` leaves 提升工程 courses to this
step), so no hour is counted twice.

It lives in services/credits because the grade import calls it (services/ability uses
credits, never the other way round: `lint-imports` keeps the areas acyclic); it reads the
selection table directly. Set-based: one read for all the teachers given.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from jjadmin.models import metadata
from jjadmin.rules.codes import period_year
from jjadmin.services.credits.ledger import Credit, post_credits, withdraw_credits

ABILITY_LEVEL = "提升工程"
SOURCE = "ability"
_CHUNK = 500


def project_title(period: str) -> str:
    return f"{period} 期信息技术应用能力提升工程"


def _hour_type(hours_by_type: dict[str, Decimal]) -> str:
    """The project's 学时类型: the type most of its hours have (a tie: 专业科目, then 公需科目,
    then 个人选修) — one ledger row per project."""
    order = ("专业科目", "公需科目", "个人选修")
    return max(
        hours_by_type,
        key=lambda t: (hours_by_type[t], -order.index(t) if t in order else -len(order)),
    )


def ability_completion(
    session: Session,
    teacher_ids: Iterable[int],
    period: str,
    *,
    now: datetime,
    batch_id: int | None = None,
) -> tuple[int, int]:
    """Bring the ``ability`` ledger rows of these teachers for `period` in line with their
    grades, in the caller's transaction: complete → posted (idempotent, an upsert), not (or
    no longer) complete → withdrawn. Returns (posted, withdrawn)."""
    t = metadata.tables
    sel, course, enr, grade = (
        t["ability_selection"],
        t["course"],
        t["enrollment"],
        t["grade"],
    )
    ids = sorted({int(i) for i in teacher_ids})
    posted: list[Credit] = []
    incomplete: list[tuple[int, str]] = []
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        rows = session.execute(
            select(
                sel.c.teacher_id,
                course.c.hours,
                course.c.hour_type,
                grade.c.passed,
            )
            .join(course, course.c.id == sel.c.course_id)
            .outerjoin(
                enr,
                and_(
                    enr.c.teacher_id == sel.c.teacher_id,
                    enr.c.course_id == sel.c.course_id,
                    enr.c.state == "active",
                ),
            )
            .outerjoin(grade, grade.c.enrollment_id == enr.c.id)
            .where(
                sel.c.teacher_id.in_(chunk),
                sel.c.period == period,
                sel.c.state == "active",
            )
        ).all()
        by_teacher: dict[int, list[tuple[Decimal, str, bool]]] = defaultdict(list)
        for tid, hours, hour_type, passed in rows:
            by_teacher[int(tid)].append((Decimal(hours), str(hour_type), bool(passed)))
        for tid in chunk:
            courses = by_teacher.get(tid, [])
            if courses and all(passed for _, _, passed in courses):
                by_type: dict[str, Decimal] = defaultdict(Decimal)
                for hours, hour_type, _ in courses:
                    by_type[hour_type] += hours
                posted.append(
                    Credit(
                        teacher_id=tid,
                        year=period_year(period),
                        hours=sum(by_type.values(), Decimal(0)),
                        hour_type=_hour_type(by_type),
                        source=SOURCE,
                        source_ref=period,
                        title=project_title(period),
                        training_level=ABILITY_LEVEL,
                    )
                )
            else:
                incomplete.append((tid, period))
    n = post_credits(session, posted, now=now, batch_id=batch_id)
    gone = withdraw_credits(session, SOURCE, incomplete)
    return n, gone
