"""教师查询: `teacher list`, `teacher show`, `me show` — the read paths people wait on.

They run on the DB-API driver (ServiceContext.raw_reading, plain SQL that means the same on
SQLite and PostgreSQL) so that a query answers in well under 0.5 s including process start-up:
importing SQLAlchemy and the model classes alone takes longer (bench/README.md, step (f)).
Masking of ID numbers and mobiles is decided here (SPEC §3), never in the renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from jjadmin.errors import InputRejected, NotFound, PermissionDenied
from jjadmin.rawdb import RawReader, as_bool, as_date, as_json, as_utc, in_list, like_contains
from jjadmin.rules.enums import ReviewState, check_in_list
from jjadmin.rules.ids import mask_id_number, mask_mobile, normalize_text
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.identity import require_verified
from jjadmin.services.scope_rules import (
    OUT_OF_SCOPE,
    district_in_scope,
    find_school,
    school_in_scope,
    school_scope_sql,
)

ADMIN_ROLES = ("city", "district", "school")

LABELS = {
    "learner_no": "学号",
    "name": "姓名",
    "id_number": "身份证号",
    "gender": "性别",
    "birth_date": "出生日期",
    "mobile": "手机号",
    "school_code": "学校代码",
    "stage": "任教学段",
    "subject": "任教学科",
    "title": "职称",
    "status": "在岗状态",
    "email": "电子邮箱",
    "address": "通讯地址",
}

REVIEW_LABELS = {
    ReviewState.NORMAL: "正常",
    ReviewState.REOPENED: "重新更新（待教师提交）",
    ReviewState.SUBMITTED: "已提交未审核",
    ReviewState.REJECTED: "审核未通过",
}
ROUND_LABELS = {
    "reopened": "重新更新",
    "submitted": "已提交未审核",
    "approved": "审核通过",
    "rejected": "审核未通过",
}
_REVIEW_ALIASES = {
    **{s.value: s.value for s in ReviewState},
    **{label: state.value for state, label in REVIEW_LABELS.items()},
    "重新更新": ReviewState.REOPENED.value,
    "已提交": ReviewState.SUBMITTED.value,
    "未审核": ReviewState.SUBMITTED.value,
    "驳回": ReviewState.REJECTED.value,
}


def check_status(value: object) -> str:
    """在岗状态 from the value list (在职/离职/退休). Raises InvalidValue (exit 1)."""
    return check_in_list("在岗状态", value)


def review_state_value(value: str) -> str:
    """An English review_state from English or the Chinese label. Raises InputRejected."""
    key = normalize_text(value)
    found = _REVIEW_ALIASES.get(key) or _REVIEW_ALIASES.get(key.lower())
    if found is None:
        raise InputRejected(f"审核状态“{value}”无效（可选：normal、reopened、submitted、rejected）")
    return found


# --- views ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeacherView:
    """One teacher as `teacher list` shows it (ID number and mobile masked unless revealed)."""

    learner_no: str
    name: str
    id_number: str
    gender: str
    birth_date: date
    mobile: str
    school_code: str
    school_name: str
    stage: str
    subject: str
    title: str | None
    status: str
    review_state: str
    is_special: bool
    locked: bool
    is_principal: bool
    is_school_admin: bool  # authorised as a school admin (授权)


@dataclass(frozen=True)
class ReviewRound:
    """One 信息审核 round; every round is kept."""

    round: int
    state: str
    changes: dict[str, Any]
    before: dict[str, Any]
    reason: str | None
    reopened_by: str | None
    reopened_at: datetime | None
    submitted_by: str | None
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None


@dataclass(frozen=True)
class TeacherDetail:
    """`teacher show` / `me show`."""

    learner_no: str
    name: str
    id_number: str
    gender: str
    birth_date: date
    mobile: str
    school_code: str
    school_name: str
    district_code: str
    district_name: str
    stage: str
    subject: str
    title: str | None
    status: str
    email: str | None
    address: str | None
    review_state: str
    is_special: bool
    locked: bool
    is_principal: bool
    is_school_admin: bool
    created_at: datetime
    updated_at: datetime
    review_rounds: list[ReviewRound] = field(default_factory=list)


@dataclass(frozen=True)
class TeacherFilter:
    school: str | None = None
    district: str | None = None
    status: str | None = None
    review_state: str | None = None
    special: bool = False
    locked: bool = False
    principal: bool = False
    school_admin: bool = False
    name: str | None = None


# --- helpers ----------------------------------------------------------------------------------


def reveal_allowed(ctx: ServiceContext, show_id: bool) -> bool:
    """True when full ID numbers and mobiles may be shown; raises VerificationRequired (3)."""
    if not show_id:
        return False
    require_verified(ctx, "显示完整身份证号和手机号")
    return True


def mask_values(values: dict[str, Any], reveal: bool) -> dict[str, Any]:
    out = dict(values)
    if reveal:
        return out
    if isinstance(out.get("id_number"), str):
        out["id_number"] = mask_id_number(out["id_number"])
    if isinstance(out.get("mobile"), str):
        out["mobile"] = mask_mobile(out["mobile"])
    return out


SPECIAL_SQL = (
    "EXISTS (SELECT 1 FROM special_user su WHERE su.teacher_id = t.id AND su.cleared_at IS NULL)"
)
LOCKED_SQL = (
    "EXISTS (SELECT 1 FROM account la WHERE la.teacher_id = t.id AND la.locked_at IS NOT NULL)"
)
PRINCIPAL_SQL = "EXISTS (SELECT 1 FROM principal p WHERE p.teacher_id = t.id)"
SCHOOL_ADMIN_SQL = "EXISTS (SELECT 1 FROM school_admin g WHERE g.teacher_id = t.id)"

_LIST_COLUMNS = f"""
t.learner_no, t.name, t.id_number, t.gender, t.birth_date, t.mobile, s.code, s.name,
t.stage, t.subject, t.title, t.status, t.review_state,
{SPECIAL_SQL}, {LOCKED_SQL}, {PRINCIPAL_SQL}, {SCHOOL_ADMIN_SQL}
"""


def _list_where(db: RawReader, actor: Actor, filters: TeacherFilter) -> tuple[str, dict[str, Any]]:
    scope, params = school_scope_sql(actor, "s")
    where = [scope]
    if filters.school:
        school_id, _ = find_school(db, actor, normalize_text(filters.school))
        where.append("t.school_id = :f_school")
        params["f_school"] = school_id
    if filters.district:
        code = normalize_text(filters.district)
        if actor.role == "district" and not district_in_scope(actor, code):
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看本单位管辖范围内的教师")
        where.append("s.district_code = :f_district")
        params["f_district"] = code
    if filters.status:
        where.append("t.status = :f_status")
        params["f_status"] = check_status(filters.status)
    if filters.review_state:
        where.append("t.review_state = :f_review")
        params["f_review"] = review_state_value(filters.review_state)
    if filters.special:
        where.append(SPECIAL_SQL)
    if filters.locked:
        where.append(LOCKED_SQL)
    if filters.principal:
        where.append(PRINCIPAL_SQL)
    if filters.school_admin:
        where.append(SCHOOL_ADMIN_SQL)
    if filters.name:
        where.append("t.name LIKE :f_name ESCAPE '/'")
        params["f_name"] = like_contains(normalize_text(filters.name))
    return " AND ".join(f"({w})" for w in where), params


def _person(row: tuple[Any, ...], reveal: bool) -> dict[str, Any]:
    """The first six columns of a list or detail row (学号 … 手机号), masked unless revealed."""
    return {
        "learner_no": row[0],
        "name": row[1],
        "id_number": row[2] if reveal else mask_id_number(row[2]),
        "gender": row[3],
        "birth_date": as_date(row[4]),
        "mobile": row[5] if reveal else mask_mobile(row[5]),
    }


def _row_view(row: tuple[Any, ...], reveal: bool) -> TeacherView:
    return TeacherView(
        **_person(row, reveal),
        school_code=row[6],
        school_name=row[7],
        stage=row[8],
        subject=row[9],
        title=row[10],
        status=row[11],
        review_state=row[12],
        is_special=as_bool(row[13]),
        locked=as_bool(row[14]),
        is_principal=as_bool(row[15]),
        is_school_admin=as_bool(row[16]),
    )


# --- services ---------------------------------------------------------------------------------


def list_teachers(
    ctx: ServiceContext,
    *,
    filters: TeacherFilter = TeacherFilter(),
    limit: int = 100,
    offset: int = 0,
    show_id: bool = False,
) -> tuple[list[TeacherView], int]:
    """Teachers in the actor's scope ordered by 学号; `total` counts every match.

    Raises PermissionDenied / VerificationRequired (3: --show-id unverified), NotFound (4),
    InputRejected (1: unknown status or review state).
    """
    actor = ctx.require(*ADMIN_ROLES, action="查看教师")
    reveal = reveal_allowed(ctx, show_id)
    with ctx.raw_reading() as db:
        where, params = _list_where(db, actor, filters)
        base = f"FROM teacher t JOIN school s ON s.id = t.school_id WHERE {where}"
        total = db.scalar(f"SELECT count(*) {base}", params)
        page = db.rows(
            f"SELECT {_LIST_COLUMNS} {base} ORDER BY t.learner_no LIMIT :limit OFFSET :offset",
            {**params, "limit": limit, "offset": offset},
        )
    return [_row_view(r, reveal) for r in page], int(total or 0)


def show_teacher(ctx: ServiceContext, learner_no: str, *, show_id: bool = False) -> TeacherDetail:
    """One teacher with every info-review round.

    Raises NotFound (4), PermissionDenied / VerificationRequired (3).
    """
    actor = ctx.require(*ADMIN_ROLES, action="查看教师")
    reveal = reveal_allowed(ctx, show_id)
    key = normalize_text(learner_no)
    if not key:
        raise InputRejected("学号不能为空")
    with ctx.raw_reading() as db:
        found = db.one_or_none(
            "SELECT t.id, s.id, s.district_code FROM teacher t JOIN school s ON s.id = t.school_id"
            " WHERE t.learner_no = :no",
            {"no": key},
        )
        if found is None:
            raise NotFound(f"学号不存在：{key}")
        teacher_id, school_id, district_code = found
        if actor.role == "teacher" and not actor.has_role("school"):
            if actor.teacher_id != teacher_id:
                raise PermissionDenied(OUT_OF_SCOPE)
        elif not school_in_scope(actor, _School(int(school_id), str(district_code))):
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能操作本单位管辖范围内的教师")
        return teacher_detail(db, teacher_id, reveal)


def my_profile(ctx: ServiceContext, *, show_id: bool = False) -> TeacherDetail:
    """The logged-in teacher's own record. Raises PermissionDenied / VerificationRequired (3)."""
    actor = ctx.require("teacher", action="查看个人信息")
    reveal = reveal_allowed(ctx, show_id)
    with ctx.raw_reading() as db:
        if actor.teacher_id is None or not db.scalar(
            "SELECT 1 FROM teacher WHERE id = :id", {"id": actor.teacher_id}
        ):
            raise NotFound("找不到当前账号对应的教师记录")
        return teacher_detail(db, actor.teacher_id, reveal)


@dataclass(frozen=True)
class _School:
    id: int
    district_code: str


def teacher_detail(db: RawReader, teacher_id: int, reveal: bool) -> TeacherDetail:
    """The detail view of one teacher (who may see it was decided by the caller)."""
    r = db.one_or_none(
        f"""SELECT t.learner_no, t.name, t.id_number, t.gender, t.birth_date, t.mobile,
                   s.code, s.name, s.district_code, d.name, t.stage, t.subject, t.title,
                   t.status, t.email, t.address, t.review_state,
                   {SPECIAL_SQL}, {LOCKED_SQL}, {PRINCIPAL_SQL}, t.created_at, t.updated_at,
                   {SCHOOL_ADMIN_SQL}
            FROM teacher t
            JOIN school s ON s.id = t.school_id
            JOIN district d ON d.code = s.district_code
            WHERE t.id = :id""",
        {"id": teacher_id},
    )
    if r is None:
        raise NotFound("找不到教师记录")
    return TeacherDetail(
        **_person(r, reveal),
        school_code=r[6],
        school_name=r[7],
        district_code=r[8],
        district_name=r[9],
        stage=r[10],
        subject=r[11],
        title=r[12],
        status=r[13],
        email=r[14],
        address=r[15],
        review_state=r[16],
        is_special=as_bool(r[17]),
        locked=as_bool(r[18]),
        is_principal=as_bool(r[19]),
        is_school_admin=as_bool(r[22]),
        created_at=as_utc(r[20]),  # type: ignore[arg-type]
        updated_at=as_utc(r[21]),  # type: ignore[arg-type]
        review_rounds=_rounds(db, teacher_id, reveal),
    )


def _rounds(db: RawReader, teacher_id: int, reveal: bool) -> list[ReviewRound]:
    changes = db.rows(
        """SELECT tc.round, tc.state, tc.changes, tc."before", tc.reason,
                  tc.reopened_by, tc.reopened_at, tc.submitted_by, tc.submitted_at,
                  tc.reviewed_by, tc.reviewed_at
           FROM teacher_change tc WHERE tc.teacher_id = :id ORDER BY tc.round, tc.id""",
        {"id": teacher_id},
    )
    if not changes:
        return []
    ids = {i for c in changes for i in (c[5], c[7], c[9]) if i is not None}
    params: dict[str, Any] = {}
    names: dict[int, str] = {
        int(i): str(u)
        for i, u in db.rows(
            f"SELECT id, username FROM account WHERE id IN {in_list('a', ids, params)}", params
        )
    }
    return [
        ReviewRound(
            round=c[0],
            state=c[1],
            changes=mask_values(as_json(c[2]) or {}, reveal),
            before=mask_values(as_json(c[3]) or {}, reveal),
            reason=c[4],
            reopened_by=names.get(c[5]) if c[5] else None,
            reopened_at=as_utc(c[6]),
            submitted_by=names.get(c[7]) if c[7] else None,
            submitted_at=as_utc(c[8]),
            reviewed_by=names.get(c[9]) if c[9] else None,
            reviewed_at=as_utc(c[10]),
        )
        for c in changes
    ]


_EXPORT_COLUMNS = f"""
t.learner_no, t.name, t.id_number, t.gender, t.birth_date, t.mobile, s.code, t.stage,
t.subject, t.title, t.status, t.email, t.address, s.name, t.review_state, {SPECIAL_SQL}
"""


def export_rows(ctx: ServiceContext, actor: Actor, filters: TeacherFilter) -> list[tuple[Any, ...]]:
    """Every teacher matching `filters` in the actor's scope, full values, in the order of
    teachers.EXPORT_FIELDS (the caller checked the role and the SMS verification)."""
    with ctx.raw_reading() as db:
        where, params = _list_where(db, actor, filters)
        rows = db.rows(
            f"SELECT {_EXPORT_COLUMNS} FROM teacher t JOIN school s ON s.id = t.school_id"
            f" WHERE {where} ORDER BY t.learner_no",
            params,
        )
    return [(*r[:4], as_date(r[4]), *r[5:15], as_bool(r[15])) for r in rows]
