"""The scope rule (services.scope_rules.SCOPE) as SQLAlchemy clauses, and the lookups the ORM
paths share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, false, or_, select, true
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.models import Course, School, metadata
from jjadmin.services.context import Actor
from jjadmin.services.scope_rules import OUT_OF_SCOPE as OUT_OF_SCOPE  # re-exported
from jjadmin.services.scope_rules import (
    TABLES,
    UNIT,
    Limit,
    limit_value,
    rule_for,
    scope_of,
    scope_role,
)
from jjadmin.services.scope_rules import district_in_scope as district_in_scope  # re-exported
from jjadmin.services.scope_rules import school_in_scope as school_in_scope  # re-exported


def _clause(actor: Actor, table: str, entity: Any) -> ColumnElement[bool]:
    rule = rule_for(actor, table)
    if rule is True:
        return true()
    if rule is False:
        return false()
    column, value = rule
    found: ColumnElement[bool] = getattr(entity, column) == value
    return found


def school_clause(actor: Actor, school: Any = School) -> ColumnElement[bool]:
    """A WHERE clause on `school` (the School entity, an alias or a table's `.c`) limiting
    rows to the actor's scope."""
    return _clause(actor, "school", school)


def course_clause(actor: Actor, course: Any = Course) -> ColumnElement[bool]:
    """A WHERE clause on `course` limiting rows to the courses that are the actor's unit's
    (an institution's own; all for the city)."""
    return _clause(actor, "course", course)


def unit_clause(actor: Actor, table: str, *, visible: bool = False) -> ColumnElement[bool]:
    """A WHERE clause on `table` (by name) keeping the rows that belong to the actor's unit
    through the table's links (scope_rules.TABLES) — the same derivation as the city's
    row-level security policies (services/dbroles/policies.py). `visible` adds the rows the
    actor may read without owning them (scope_rules.Reach)."""
    scope = scope_of(actor)
    if scope.all:
        return true()
    limit = scope.school or scope.course
    value = None if limit is None else limit_value(actor, limit)
    if limit is None or value is None or value == "":
        return false()
    t = metadata.tables[table]
    found = _owned(t, limit, value, frozenset())
    if visible:
        pk = list(t.primary_key.columns)[0]
        for reach in TABLES[table].reach:
            if scope_role(actor) in reach.roles and reach.table in metadata.tables:
                source = metadata.tables[reach.table]
                on = t.c[reach.on] if reach.on else pk
                found = or_(
                    found,
                    on.in_(
                        select(source.c[reach.column]).where(
                            _owned(source, limit, value, frozenset())
                        )
                    ),
                )
    return found


def _owned(t: Table, limit: Limit, value: Any, seen: frozenset[str]) -> ColumnElement[bool]:
    terms: list[ColumnElement[bool]] = []
    if t.name == limit.table:
        terms.append(t.c[limit.column] == value)
    rule = TABLES.get(t.name)
    for link in rule.links if rule is not None and t.name not in seen else ():
        column = t.c[link.column]
        if link.value is not None:
            if link.value == limit.attribute:
                terms.append(column == value)
            continue
        assert link.to is not None
        parent = metadata.tables[link.to]
        parent_pk = list(parent.primary_key.columns)[0]
        if link.to == limit.table:
            roots = link.via or (limit.column,)
            if roots == (parent_pk.name,):
                terms.append(column == value)
            else:
                match = or_(*(parent.c[c] == value for c in roots))
                terms.append(column.in_(select(parent_pk).where(match)))
            continue
        parent_rule = TABLES.get(link.to)
        if parent_rule is None or parent_rule.kind != UNIT:
            continue
        terms.append(
            column.in_(select(parent_pk).where(_owned(parent, limit, value, seen | {t.name})))
        )
    return or_(false(), *terms)


def get_school(session: Session, actor: Actor, code: str, *, for_update: bool = False) -> School:
    """The school with `code` if the actor may see it.

    Raises NotFound (4) when no such school exists, PermissionDenied (3) when it is outside
    the actor's scope; the message says nothing about the other school.
    """
    stmt = select(School).where(col(School.code) == code)
    if for_update:
        stmt = stmt.with_for_update()
    school = session.execute(stmt).scalar_one_or_none()
    if school is None:
        raise NotFound(f"学校不存在：{code}")
    if not school_in_scope(actor, school):
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能操作本单位管辖范围内的学校和教师")
    return school


def schools_in_scope(session: Session, actor: Actor) -> dict[str, School]:
    """Code → School for every school in scope (used by bulk imports)."""
    rows = session.execute(select(School).where(school_clause(actor))).scalars()
    return {s.code: s for s in rows}
