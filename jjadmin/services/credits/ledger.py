"""The credit-hour ledger (学时台账): the one place every credited hour goes through.

A ledger row is keyed by (teacher, source, source_ref) — UNIQUE in the database:

- ``grade``: source_ref is the course id. A course is never counted twice: a re-grade
  replaces the row (upsert), a fail after a pass withdraws it.
- ``declaration``: source_ref is the 学时申报's id (credited when the district approves it).
- ``ability``: source_ref is the period code of the 提升工程 completion.

Callers post inside their own transaction; nothing here commits. Single postings use one
upsert statement; the bulk variants are Core executemany (never one ORM object per row).
A total can always be explained line by line: `credits ledger 学号`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jjadmin.models import metadata
from jjadmin.rules.codes import period_year
from jjadmin.services.credits.bulk import execute_rows, insert_rows

SOURCES = ("grade", "declaration", "ability")
HOUR_TYPES = ("公需科目", "专业科目", "个人选修")
MAX_HOURS = Decimal("1000")

_CHUNK = 500


class Credit(NamedTuple):
    """One posting: `hours` of `hour_type` for `teacher_id`'s `year`, from (source, ref)."""

    teacher_id: int
    year: int
    hours: Decimal
    hour_type: str
    source: str
    source_ref: str
    title: str
    training_level: str | None = None


def _table() -> Any:
    return metadata.tables["credit_record"]


def _check(credit: Credit) -> None:
    if credit.source not in SOURCES:
        raise ValueError(f"unknown ledger source {credit.source!r}")
    if credit.hour_type not in HOUR_TYPES:
        raise ValueError(f"unknown hour type {credit.hour_type!r}")
    if not (Decimal(0) < Decimal(credit.hours) <= MAX_HOURS):
        raise ValueError(f"hours out of range: {credit.hours}")
    if not credit.source_ref:
        raise ValueError("a ledger row needs its source_ref")


_COLUMNS = (
    "teacher_id",
    "year",
    "hours",
    "hour_type",
    "training_level",
    "source",
    "source_ref",
    "title",
    "batch_id",
    "created_at",
)
_KEY = ("teacher_id", "source", "source_ref")
_REPLACED = ("year", "hours", "hour_type", "training_level", "title", "batch_id", "created_at")


def post_credit(
    session: Session,
    *,
    teacher_id: int,
    year: int,
    hours: Decimal,
    hour_type: str,
    training_level: str | None,
    source: str,
    source_ref: str,
    title: str,
    batch_id: int | None = None,
    now: datetime,
) -> None:
    """Credit one row: inserted, or replacing the row of the same (teacher, source, ref)."""
    post_credits(
        session,
        [
            Credit(
                teacher_id=teacher_id,
                year=year,
                hours=hours,
                hour_type=hour_type,
                training_level=training_level,
                source=source,
                source_ref=str(source_ref),
                title=title,
            )
        ],
        now=now,
        batch_id=batch_id,
    )


def post_credits(
    session: Session,
    credits: Sequence[Credit],
    *,
    now: datetime,
    batch_id: int | None = None,
) -> int:
    """Upsert many postings in one executemany; returns how many were posted."""
    if not credits:
        return 0
    checked: set[tuple[str, str, Decimal]] = set()
    for credit in credits:
        kind = (credit.source, credit.hour_type, credit.hours)
        if kind not in checked or not credit.source_ref:
            _check(credit)
            checked.add(kind)
    rows = [
        (
            c.teacher_id,
            c.year,
            Decimal(c.hours),
            c.hour_type,
            c.training_level,
            c.source,
            str(c.source_ref),
            c.title[:200],
            batch_id,
            now,
        )
        for c in credits
    ]
    insert_rows(session, _table(), _COLUMNS, rows, conflict=_KEY, replace=_REPLACED)
    return len(rows)


def post_credit_groups(
    session: Session,
    groups: Iterable[tuple[Credit, Sequence[int]]],
    *,
    now: datetime,
    batch_id: int | None = None,
) -> int:
    """The set-based variant for many teachers earning the same credit (a course's passed
    grades): each group is a template Credit (its teacher_id ignored) and the teachers it
    is posted for. One executemany; returns how many rows were posted."""
    rows: list[tuple[Any, ...]] = []
    for template, teachers in groups:
        _check(template)
        tail = (
            template.year,
            Decimal(template.hours),
            template.hour_type,
            template.training_level,
            template.source,
            str(template.source_ref),
            template.title[:200],
            batch_id,
            now,
        )
        rows.extend((int(tid), *tail) for tid in teachers)
    rows.sort(key=_by_teacher)  # the unique and the covering index lead with the teacher
    insert_rows(session, _table(), _COLUMNS, rows, conflict=_KEY, replace=_REPLACED)
    return len(rows)


def _by_teacher(row: tuple[Any, ...]) -> int:
    return int(row[0])


def withdraw_credit(session: Session, *, teacher_id: int, source: str, source_ref: str) -> bool:
    """Remove the row of (teacher, source, ref); False when there was none."""
    t = _table()
    res = session.execute(
        delete(t).where(
            t.c.teacher_id == teacher_id, t.c.source == source, t.c.source_ref == str(source_ref)
        )
    )
    return bool(getattr(res, "rowcount", 0))


def withdraw_credits(session: Session, source: str, keys: Iterable[tuple[int, str]]) -> int:
    """Remove the rows of (teacher_id, source_ref) pairs of one source, set-based
    (executemany); returns how many rows went."""
    rows = [(source, int(tid), str(ref)) for tid, ref in keys]
    return execute_rows(
        session,
        _table(),
        "DELETE FROM {t} WHERE source = ? AND teacher_id = ? AND source_ref = ?",
        ("source", "teacher_id", "source_ref"),
        rows,
    )


def resync_grade_credits(session: Session, enrollment_ids: Iterable[int], now: datetime) -> None:
    """Make the grade rows of these enrollments' (teacher, course) pairs equal what their
    grades say now: a passed grade is credited (the period's year, the course's hours and
    hour type), anything else is not. Used after a grade batch is undone."""
    tables = metadata.tables
    grade, enr, course = tables["grade"], tables["enrollment"], tables["course"]
    ids = sorted({int(i) for i in enrollment_ids})
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        pairs = set(
            session.execute(select(enr.c.teacher_id, enr.c.course_id).where(enr.c.id.in_(chunk)))
        )
        if not pairs:
            continue
        # a pair stays credited when any enrollment of it holds a passed grade (the batch
        # that graded it stays the posting's)
        credited: dict[tuple[int, int], int | None] = {}
        for tid, cid, batch in session.execute(
            select(enr.c.teacher_id, enr.c.course_id, grade.c.batch_id)
            .join(grade, grade.c.enrollment_id == enr.c.id)
            .where(
                enr.c.teacher_id.in_({tid for tid, _ in pairs}),
                enr.c.course_id.in_({cid for _, cid in pairs}),
                grade.c.passed.is_(True),
            )
        ):
            if (tid, cid) in pairs:
                credited[(tid, cid)] = batch
        withdraw_credits(session, "grade", [(tid, str(cid)) for tid, cid in pairs - set(credited)])
        if not credited:
            continue
        rows = session.execute(
            select(
                course.c.id,
                course.c.period,
                course.c.hours,
                course.c.hour_type,
                course.c.level,
                course.c.name,
            ).where(course.c.id.in_({cid for _, cid in credited}))
        ).all()
        by_course = {r[0]: r for r in rows}
        by_batch: dict[int | None, list[Credit]] = {}
        for (tid, cid), batch in sorted(credited.items(), key=lambda kv: kv[0]):
            if by_course[cid][4] == "提升工程":
                continue  # credited as one project (credits/ability_completion.py)
            by_batch.setdefault(batch, []).append(grade_credit(tid, by_course[cid]))
        for batch, credits in by_batch.items():
            post_credits(session, credits, now=now, batch_id=batch)


def grade_credit(teacher_id: int, course_row: Any) -> Credit:
    """The posting a passed course earns: (id, period, hours, hour_type, level, name)."""
    cid, period, hours, hour_type, level, name = course_row
    return Credit(
        teacher_id=int(teacher_id),
        year=period_year(str(period)),
        hours=Decimal(hours),
        hour_type=hour_type,
        training_level=level,
        source="grade",
        source_ref=str(cid),
        title=name,
    )
