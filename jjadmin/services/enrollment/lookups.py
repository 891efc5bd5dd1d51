"""The planner's set-based lookups: teachers, special users, the batch's courses (locked in id
order) and the enrollments that already exist."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin import faults
from jjadmin.models import Course, School, SpecialUser, Teacher
from jjadmin.services.enrollment.common import (
    ACTIVE,
    CHUNK,
    COURSE_T,
    ENROLLMENT_T,
    PAIR_SHIFT,
    _Teacher,
)

# Above this many distinct learner numbers one scan of the teacher table beats IN lists.
SCAN_TEACHERS_ABOVE = 2000
# Above this many requested pairs, read the period's active enrollments of the batch's
# courses in one query instead of by teacher chunks.
SCAN_ENROLLMENTS_ABOVE = 5000


class _CourseInfo(NamedTuple):
    """What the planner needs of a course (plain values: ORM attribute access per row
    would dominate a 500,000-row import)."""

    id: int
    code: str
    name: str
    level: str
    status: str
    district_code: str | None
    school_id: int | None
    approval: str
    capacity: int | None
    enrolled: int


def _teacher_stmt() -> Any:
    return select(
        col(Teacher.id),
        col(Teacher.learner_no),
        col(Teacher.name),
        col(Teacher.school_id),
        col(Teacher.status),
        col(School.district_code),
    ).join(School, col(School.id) == col(Teacher.school_id))


def _load_teachers(session: Session, learner_nos: set[str]) -> dict[str, _Teacher]:
    found: dict[str, _Teacher] = {}
    if len(learner_nos) > SCAN_TEACHERS_ABOVE:
        # a large batch names most teachers of the city: one scan, at the Core level (the
        # ORM's per-row result handling would cost more than the query)
        for t in map(_Teacher._make, session.connection().execute(_teacher_stmt()).all()):
            if t.learner_no in learner_nos:
                found[t.learner_no] = t
        return found
    wanted = sorted(learner_nos)
    for i in range(0, len(wanted), CHUNK):
        chunk = wanted[i : i + CHUNK]
        for r in session.execute(_teacher_stmt().where(col(Teacher.learner_no).in_(chunk))):
            found[r[1]] = _Teacher(*r)
    return found


def _special_teachers(session: Session, teacher_ids: set[int]) -> set[int]:
    stmt = (
        select(col(SpecialUser.teacher_id)).where(col(SpecialUser.cleared_at).is_(None)).distinct()
    )
    flagged = set(session.execute(stmt).scalars())
    return flagged & teacher_ids


def _load_courses(session: Session, period: str, codes: set[str]) -> dict[str, _CourseInfo]:
    """Courses of the period by code, locked in id order (PostgreSQL row locks)."""
    ids: list[int] = []
    wanted = sorted(codes)
    for i in range(0, len(wanted), CHUNK):
        found_ids = session.execute(
            select(col(Course.id)).where(
                col(Course.period) == period, col(Course.code).in_(wanted[i : i + CHUNK])
            )
        ).scalars()
        ids.extend(cid for cid in found_ids if cid is not None)
    ids.sort()
    c = COURSE_T.c
    found: dict[str, _CourseInfo] = {}
    for i in range(0, len(ids), CHUNK):
        stmt = (
            select(
                c.id,
                c.code,
                c.name,
                c.level,
                c.status,
                c.district_code,
                c.school_id,
                c.approval,
                c.capacity,
                c.enrolled,
            )
            .where(c.id.in_(ids[i : i + CHUNK]))
            .order_by(c.id)
            .with_for_update()
        )
        for r in session.execute(stmt):
            found[r[1]] = _CourseInfo._make(r)
    faults.point("enroll.seats")
    return found


def _existing_pairs(
    session: Session, period: str, course_ids: set[int], teacher_ids: set[int], pairs: int
) -> set[int]:
    """The pairs (teacher id << 32 | course id) already actively enrolled, among the batch's
    courses and teachers (a large batch: all of its courses')."""
    found: set[int] = set()
    if not course_ids or not teacher_ids:
        return found
    e = ENROLLMENT_T.c
    courses = sorted(course_ids)
    if pairs > SCAN_ENROLLMENTS_ABOVE:
        for i in range(0, len(courses), CHUNK):
            stmt = select(e.course_id, e.teacher_id).where(
                e.period == period, e.state == ACTIVE, e.course_id.in_(courses[i : i + CHUNK])
            )
            found.update((tid << PAIR_SHIFT) | cid for cid, tid in session.execute(stmt))
        return found
    teachers = sorted(teacher_ids)
    for i in range(0, len(teachers), CHUNK):
        stmt = select(e.course_id, e.teacher_id).where(
            e.state == ACTIVE,
            e.teacher_id.in_(teachers[i : i + CHUNK]),
            e.course_id.in_(courses),
        )
        found.update((tid << PAIR_SHIFT) | cid for cid, tid in session.execute(stmt))
    return found
