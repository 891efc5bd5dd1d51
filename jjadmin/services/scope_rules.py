"""Scope without SQLAlchemy: what an actor may see, as Python checks and as SQL text.

`services/scope.py` builds the same limits as SQLAlchemy clauses for the ORM paths; the raw
read paths (services/teacher_views.py, services/enroll_stats.py) use these.
"""

from __future__ import annotations

from typing import Any, Protocol

from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.rawdb import RawReader
from jjadmin.services.context import Actor

OUT_OF_SCOPE = "无权访问该单位的数据"


class SchoolLike(Protocol):
    @property
    def id(self) -> Any: ...

    @property
    def district_code(self) -> Any: ...


def school_in_scope(actor: Actor, school: SchoolLike) -> bool:
    if actor.role in ("city", "system"):
        return True
    if actor.role == "district":
        return bool(school.district_code == actor.district_code)
    sid = actor.acting_school_id
    return sid is not None and school.id == sid


def district_in_scope(actor: Actor, district_code: str) -> bool:
    if actor.role in ("city", "system"):
        return True
    return actor.role == "district" and actor.district_code == district_code


def school_scope_sql(actor: Actor, alias: str) -> tuple[str, dict[str, Any]]:
    """A WHERE condition on the school table aliased `alias`, with its parameters."""
    if actor.role in ("city", "system"):
        return "1 = 1", {}
    if actor.role == "district" and actor.district_code:
        return f"{alias}.district_code = :scope_district", {"scope_district": actor.district_code}
    sid = actor.acting_school_id
    if sid is not None:
        return f"{alias}.id = :scope_school", {"scope_school": sid}
    return "1 = 0", {}


def find_school(db: RawReader, actor: Actor, code: str) -> tuple[int, str]:
    """(id, district_code) of the school with `code` if the actor may see it.

    Raises NotFound (4) when no such school exists, PermissionDenied (3) when it is outside
    the actor's scope; the message says nothing about the other school.
    """
    row = db.one_or_none("SELECT id, district_code FROM school WHERE code = :code", {"code": code})
    if row is None:
        raise NotFound(f"学校不存在：{code}")
    school_id, district_code = int(row[0]), str(row[1])
    if not school_in_scope(actor, _Found(school_id, district_code)):
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能操作本单位管辖范围内的学校和教师")
    return school_id, district_code


class _Found:
    __slots__ = ("id", "district_code")

    def __init__(self, id_: int, district_code: str) -> None:
        self.id = id_
        self.district_code = district_code
