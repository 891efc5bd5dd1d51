"""学时台账 (`credits ledger 学号`, `me hours`): every credited hour of a teacher, line by line,
with its source — so that any total can be explained."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.models import metadata
from jjadmin.rules.codes import normalize_learner_no
from jjadmin.rules.money import format_hours
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.scope import unit_clause
from jjadmin.services.scope_rules import OUT_OF_SCOPE

SOURCE_LABELS = {"grade": "课程成绩", "declaration": "学时申报", "ability": "提升工程"}
READERS = ("city", "district", "school", "institution", "teacher")


@dataclass(frozen=True)
class LedgerItem:
    year: int
    hour_type: str
    hours: str
    source: str  # grade | declaration | ability
    source_label: str
    source_ref: str
    title: str
    training_level: str | None
    credited_at: datetime


@dataclass(frozen=True)
class Ledger:
    learner_no: str
    name: str
    year: int | None
    items: list[LedgerItem] = field(default_factory=list)
    total: str = "0"
    by_type: dict[str, str] = field(default_factory=dict)


def find_teacher(session: Session, actor: Actor, learner_no: str) -> tuple[int, str, str]:
    """(id, 学号, 姓名) of a teacher the actor may see (a teacher: only themself).
    Raises NotFound (4), PermissionDenied (3)."""
    t = metadata.tables["teacher"]
    row = session.execute(
        select(t.c.id, t.c.learner_no, t.c.name).where(t.c.learner_no == learner_no)
    ).first()
    if row is None:
        raise NotFound(f"学号不存在：{learner_no}")
    if actor.role == "teacher" and actor.principal_school_id is None:
        if actor.teacher_id != row[0]:
            raise PermissionDenied("只能查看本人的学时", hint="jjadmin me hours")
        return int(row[0]), row[1], row[2]
    visible = session.execute(
        select(t.c.id).where(t.c.id == row[0], unit_clause(actor, "teacher", visible=True))
    ).first()
    if visible is None:
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看本单位管辖范围内的教师")
    return int(row[0]), row[1], row[2]


def read_ledger(session: Session, teacher_id: int, year: int | None) -> list[LedgerItem]:
    """A teacher's ledger rows (of `year`, or all), oldest year first."""
    cr = metadata.tables["credit_record"]
    stmt = select(
        cr.c.year,
        cr.c.hour_type,
        cr.c.hours,
        cr.c.source,
        cr.c.source_ref,
        cr.c.title,
        cr.c.training_level,
        cr.c.created_at,
    ).where(cr.c.teacher_id == teacher_id)
    if year is not None:
        stmt = stmt.where(cr.c.year == year)
    rows = session.execute(stmt.order_by(cr.c.year, cr.c.created_at, cr.c.id)).all()
    return [
        LedgerItem(
            year=int(r[0]),
            hour_type=r[1],
            hours=format_hours(Decimal(r[2])),
            source=r[3],
            source_label=SOURCE_LABELS.get(r[3], r[3]),
            source_ref=r[4],
            title=r[5],
            training_level=r[6],
            credited_at=r[7],
        )
        for r in rows
    ]


def _ledger(learner_no: str, name: str, year: int | None, items: list[LedgerItem]) -> Ledger:
    by_type: dict[str, Decimal] = {}
    for item in items:
        by_type[item.hour_type] = by_type.get(item.hour_type, Decimal(0)) + Decimal(item.hours)
    total = sum(by_type.values(), Decimal(0))
    return Ledger(
        learner_no,
        name,
        year,
        items,
        format_hours(total),
        {k: format_hours(v) for k, v in sorted(by_type.items())},
    )


def teacher_ledger(ctx: ServiceContext, *, learner_no: str, year: int | None = None) -> Ledger:
    """学时台账 of one teacher in the actor's scope (a teacher: only their own).

    Raises InvalidValue (1), NotFound (4), PermissionDenied (3).
    """
    actor = ctx.require(*READERS, action="查看学时台账")
    ln = normalize_learner_no(learner_no)
    with ctx.reading() as session:
        tid, ln, name = find_teacher(session, actor, ln)
        return _ledger(ln, name, year, read_ledger(session, tid, year))


def my_ledger(ctx: ServiceContext, *, year: int | None = None) -> Ledger:
    """The logged-in teacher's own ledger. Raises PermissionDenied (3: not a teacher)."""
    actor = ctx.require("teacher", action="查看本人学时")
    if actor.teacher_id is None:
        raise PermissionDenied("只有学员账号可以查看本人学时")
    t = metadata.tables["teacher"]
    with ctx.reading() as session:
        row = session.execute(
            select(t.c.learner_no, t.c.name).where(t.c.id == actor.teacher_id)
        ).one()
        return _ledger(row[0], row[1], year, read_ledger(session, actor.teacher_id, year))
