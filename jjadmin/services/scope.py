"""The scope rule (services.scope_rules.SCOPE) as SQLAlchemy clauses, and the lookups the ORM
paths share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.models import Course, School
from jjadmin.services.context import Actor
from jjadmin.services.scope_rules import OUT_OF_SCOPE as OUT_OF_SCOPE  # re-exported
from jjadmin.services.scope_rules import district_in_scope as district_in_scope  # re-exported
from jjadmin.services.scope_rules import rule_for
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
