"""特殊用户 views: `special-user list` (the DB-API read path: no SQLAlchemy), `special-user
history 学号` (every flag and clearing), and finding a teacher by 学号 or 身份证号 (the
counter clerk's walk-through)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jjadmin.errors import InputRejected, NotFound, PermissionDenied
from jjadmin.rawdb import RawReader, as_json, as_utc, in_list
from jjadmin.rules.billing import seal_proof_needed
from jjadmin.rules.codes import normalize_learner_no, parse_period_code
from jjadmin.rules.ids import normalize_text, parse_id_number
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.scope_rules import (
    OUT_OF_SCOPE,
    district_in_scope,
    find_school,
    school_in_scope,
    school_scope_sql,
)

__all__ = [
    "FLAG_STATES",
    "SpecialUserHistory",
    "SpecialUserRow",
    "can_clear",
    "list_special_users",
    "special_user_history",
]

VIEW_ROLES = ("city", "district", "school", "system")
FLAG_STATES = {"open": "特殊用户", "cleared": "已取消"}
LEVELS = ("全员培训", "区级培训")


@dataclass(frozen=True)
class SpecialUserRow:
    learner_no: str
    name: str
    school_code: str
    school_name: str
    period: str
    level: str
    times: int  # 第几次被列为特殊用户
    cleared: bool
    flagged_at: datetime
    cleared_at: datetime | None
    enrollments: int


def can_clear(actor: Actor, level: str, district_code: str | None) -> bool:
    """The city clears any flag; a district only the 区级 flags it raised."""
    if actor.role == "city":
        return True
    return actor.role == "district" and level == "区级培训" and district_code == actor.district_code


def _where(
    db: RawReader,
    actor: Actor,
    *,
    school: str | None,
    district: str | None,
    period: str | None,
    state: str | None,
    level: str | None,
) -> tuple[str, dict[str, Any]]:
    scope, params = school_scope_sql(actor, "s")
    where = [scope]
    if school:
        school_id, _ = find_school(db, actor, normalize_text(school))
        where.append("t.school_id = :f_school")
        params["f_school"] = school_id
    if district:
        code = normalize_text(district)
        if actor.role in ("district", "school") and not district_in_scope(actor, code):
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看本单位管辖范围内的特殊用户")
        where.append("s.district_code = :f_district")
        params["f_district"] = code
    if period:
        where.append("su.period = :f_period")
        params["f_period"] = parse_period_code(period)
    if state is not None:
        if state not in FLAG_STATES:
            raise InputRejected(f"未知的状态：{state}（可选：{'、'.join(FLAG_STATES)}）")
        where.append("su.cleared_at IS NULL" if state == "open" else "su.cleared_at IS NOT NULL")
    if level is not None:
        if level not in LEVELS:
            raise InputRejected(f"未知的培训级别：{level}（可选：{'、'.join(LEVELS)}）")
        where.append("su.level = :f_level")
        params["f_level"] = level
    return " AND ".join(f"({w})" for w in where), params


def list_special_users(
    ctx: ServiceContext,
    *,
    school: str | None = None,
    district: str | None = None,
    period: str | None = None,
    state: str | None = None,
    level: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[SpecialUserRow], int]:
    """特殊用户信息: flags of teachers in the actor's scope (a school its own teachers),
    newest first; `state` open|cleared (default both). `total` counts every match.

    Raises InputRejected (1), PermissionDenied (3), NotFound (4: no such school).
    """
    actor = ctx.require(*VIEW_ROLES, action="查看特殊用户")
    with ctx.raw_reading() as db:
        where, params = _where(
            db,
            actor,
            school=school,
            district=district,
            period=period,
            state=state,
            level=level,
        )
        joined = (
            "FROM special_user su JOIN teacher t ON t.id = su.teacher_id"
            f" JOIN school s ON s.id = t.school_id WHERE {where}"
        )
        if where == "(1 = 1)":  # the city's whole list: no join to count
            total = db.scalar("SELECT count(*) FROM special_user su")
        else:
            total = db.scalar(f"SELECT count(*) {joined}", params)
        # newest first = highest id first: walking the flags backwards from the newest stops
        # at the page (CROSS JOIN keeps that order on SQLite) instead of sorting them all
        page = db.rows(
            "SELECT t.learner_no, t.name, s.code, s.name, su.period, su.level, su.occurrence,"
            " su.flagged_at, su.cleared_at, su.enrollment_ids"
            " FROM special_user su CROSS JOIN teacher t CROSS JOIN school s"
            f" WHERE t.id = su.teacher_id AND s.id = t.school_id AND {where}"
            " ORDER BY su.id DESC LIMIT :limit OFFSET :offset",
            {**params, "limit": limit, "offset": offset},
        )
    rows = [
        SpecialUserRow(
            learner_no=r[0],
            name=r[1],
            school_code=r[2],
            school_name=r[3],
            period=r[4],
            level=r[5],
            times=int(r[6]),
            cleared=r[8] is not None,
            flagged_at=as_utc(r[7]),  # type: ignore[arg-type]
            cleared_at=as_utc(r[8]),
            enrollments=len(as_json(r[9]) or []),
        )
        for r in page
    ]
    return rows, int(total or 0)


@dataclass(frozen=True)
class FlagCourse:
    course_code: str
    course_name: str
    state: str
    paid: bool


@dataclass(frozen=True)
class FlagItem:
    period: str
    level: str
    flagged_at: datetime
    cleared_at: datetime | None
    cleared: bool
    times: int
    enrollments: list[str]  # the course codes of the enrollments that caused the flag
    courses: list[FlagCourse]
    cleared_by: str | None
    evidence: str | None
    seal_proof_name: str | None
    seal_proof_sha256: str | None
    clearable: bool  # by the actor, now


@dataclass(frozen=True)
class SpecialUserHistory:
    learner_no: str
    name: str
    school_code: str
    school_name: str
    is_special: bool
    times: int  # how often this teacher has been flagged
    seal_proof_needed: bool  # clearing what the actor may clear now needs a sealed proof
    items: list[FlagItem]


_TEACHER_SQL = """
SELECT t.id, t.learner_no, t.name, s.id, s.code, s.name, s.district_code
FROM teacher t JOIN school s ON s.id = t.school_id
"""


def find_teacher_row(db: RawReader, key: str, today: Any) -> tuple[Any, ...]:
    """The teacher whose 学号 or 身份证号 is `key`.

    Raises InvalidValue (1: neither), NotFound (4).
    """
    text = normalize_text(key).upper()
    if len(text) == 14 and text.isdigit():
        no = normalize_learner_no(text)
        row = db.one_or_none(_TEACHER_SQL + " WHERE t.learner_no = :k", {"k": no})
        if row is None:
            raise NotFound(f"学号不存在：{no}")
        return row
    if not text:
        raise InputRejected("请输入学号或身份证号")
    ident = parse_id_number(text, today=today).value
    row = db.one_or_none(_TEACHER_SQL + " WHERE t.id_number = :k", {"k": ident})
    if row is None:
        raise NotFound("没有该身份证号的教师")
    return row


def _may_view(actor: Actor, school_id: int, district: str, flag_districts: set[str]) -> bool:
    if school_in_scope(actor, _School(school_id, district)):
        return True
    return actor.role == "district" and actor.district_code in flag_districts


class _School:
    __slots__ = ("id", "district_code")

    def __init__(self, id_: int, district_code: str) -> None:
        self.id = id_
        self.district_code = district_code


def _flag_courses(db: RawReader, ids: list[int]) -> dict[int, FlagCourse]:
    if not ids:
        return {}
    params: dict[str, Any] = {}
    rows = db.rows(
        "SELECT e.id, c.code, c.name, e.state, e.paid FROM enrollment e"
        f" JOIN course c ON c.id = e.course_id WHERE e.id IN {in_list('e', ids, params)}",
        params,
    )
    return {int(r[0]): FlagCourse(r[1], r[2], r[3], bool(r[4])) for r in rows}


def special_user_history(ctx: ServiceContext, key: str) -> SpecialUserHistory:
    """Every flag of one teacher (by 学号 or 身份证号), with the courses that caused it and
    how it was cleared; what the actor may clear now and whether that needs a sealed proof.

    Raises InvalidValue (1), PermissionDenied (3), NotFound (4).
    """
    actor = ctx.require(*VIEW_ROLES, action="查看特殊用户")
    with ctx.raw_reading() as db:
        tid, learner_no, name, school_id, school_code, school_name, district = find_teacher_row(
            db, key, ctx.now.date()
        )
        flags = db.rows(
            "SELECT su.period, su.level, su.district_code, su.flagged_at, su.cleared_at,"
            " su.occurrence, su.enrollment_ids, a.username, su.evidence, su.seal_proof_name,"
            " su.seal_proof_sha256 FROM special_user su"
            " LEFT JOIN account a ON a.id = su.cleared_by"
            " WHERE su.teacher_id = :t ORDER BY su.flagged_at, su.id",
            {"t": tid},
        )
        if not _may_view(actor, int(school_id), str(district), {str(f[2]) for f in flags}):
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看本单位管辖范围内的教师")
        ids = sorted({int(i) for f in flags for i in (as_json(f[6]) or [])})
        courses = _flag_courses(db, ids)
    items = []
    for (
        period,
        level,
        flag_district,
        flagged,
        cleared,
        times,
        eids,
        by,
        evidence,
        pname,
        psha,
    ) in flags:
        named = [courses[int(i)] for i in (as_json(eids) or []) if int(i) in courses]
        items.append(
            FlagItem(
                period=period,
                level=level,
                flagged_at=as_utc(flagged),  # type: ignore[arg-type]
                cleared_at=as_utc(cleared),
                cleared=cleared is not None,
                times=int(times),
                enrollments=[c.course_code for c in named],
                courses=named,
                cleared_by=by,
                evidence=evidence,
                seal_proof_name=pname,
                seal_proof_sha256=psha,
                clearable=cleared is None and can_clear(actor, level, flag_district),
            )
        )
    open_items = [i for i in items if not i.cleared]
    return SpecialUserHistory(
        learner_no=learner_no,
        name=name,
        school_code=school_code,
        school_name=school_name,
        is_special=bool(open_items),
        times=max((i.times for i in items), default=0),
        seal_proof_needed=any(seal_proof_needed(i.times) for i in open_items if i.clearable),
        items=items,
    )
