"""学时申报查询 (`credits list`, `credits show`; seed 学时申报审核: 培训年度、培训类型、审核状态、
项目名称、培训机构、学员姓名、学号): the declarations the actor may see — a school's teachers',
a district's schools', the city's all, a teacher's own — and one declaration with every
review round (初审/终审: who, when, why, and what was declared) and its proofs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jjadmin.errors import NotFound, PermissionDenied
from jjadmin.rawdb import RawReader, as_date, as_json, as_utc, in_list, like_contains
from jjadmin.rules.codes import normalize_learner_no
from jjadmin.rules.declarations import DECISIONS, LEVEL_LABELS, parse_hour_type, parse_state
from jjadmin.rules.ids import normalize_text
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.scope_rules import OUT_OF_SCOPE, find_school, rule_for, school_scope_sql

__all__ = [
    "READ_ROLES",
    "AttachmentView",
    "DeclarationFilter",
    "DeclarationRow",
    "DeclarationView",
    "ProofFile",
    "ReviewView",
    "fetch_proof",
    "list_declarations",
    "load_view",
    "show_declaration",
]

READ_ROLES = ("city", "district", "school", "system", "teacher")
_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class ReviewView:
    """One decision of one round: 初审 or 终审, 通过 or 退回重新申报, who, when, why."""

    round: int
    review_level: str  # school (初审) | district (终审)
    review_level_label: str
    decision: str
    reviewer: str | None
    reviewed_at: datetime
    reason: str | None
    declared: dict[str, Any] | None  # the declaration as the reviewer saw it


@dataclass(frozen=True)
class AttachmentView:
    id: int
    name: str
    size: int
    sha256: str
    round: int


@dataclass(frozen=True)
class DeclarationRow:
    """A declaration as `credits list` shows it (SPEC §7: id, learner_no, year, project,
    hours, hour_type, state, rounds)."""

    id: int
    learner_no: str
    name: str
    school_name: str
    year: int
    project: str
    institution: str
    hours: Decimal
    hour_type: str
    state: str
    rounds: int


@dataclass(frozen=True)
class DeclarationView:
    id: int
    learner_no: str
    name: str
    school_code: str
    school_name: str
    year: int
    project: str
    institution: str
    start_date: date
    end_date: date
    hours: Decimal
    hour_type: str
    proof: str | None
    state: str
    rounds: int
    declared_by: str | None
    declared_at: datetime
    updated_at: datetime
    reviews: list[ReviewView] = field(default_factory=list)
    attachments: list[AttachmentView] = field(default_factory=list)


@dataclass(frozen=True)
class DeclarationFilter:
    year: int | None = None
    hour_type: str | None = None
    state: str | None = None
    project: str | None = None  # part of 项目名称
    institution: str | None = None  # part of 培训机构
    name: str | None = None  # part of 姓名
    learner: str | None = None  # 学号
    school: str | None = None  # 学校代码


def hours_of(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(_TENTH)


FROM_SQL = """
FROM credit_declaration d
JOIN teacher t ON t.id = d.teacher_id
JOIN school s ON s.id = t.school_id
"""
LIST_SQL = f"""
SELECT d.id, t.learner_no, t.name, s.name, d.year, d.project_name, d.institution, d.hours,
       d.hour_type, d.state, d.round
{FROM_SQL}"""
VIEW_SQL = f"""
SELECT d.id, t.learner_no, t.name, s.code, s.name, d.year, d.project_name, d.institution,
       d.start_date, d.end_date, d.hours, d.hour_type, d.proof, d.state, d.round,
       ac.username, d.declared_at, d.updated_at
{FROM_SQL}
LEFT JOIN account ac ON ac.id = d.declared_by
"""


def visible_sql(actor: Actor) -> tuple[str, dict[str, Any]]:
    """The declarations the actor may see, as a condition on FROM_SQL's aliases: those of the
    teachers of the schools in its scope (SCOPE, by the teacher's school today) and a
    teacher's own."""
    school, params = school_scope_sql(actor, "s")
    params["scope_me"] = actor.teacher_id if actor.teacher_id is not None else -1
    return f"(({school}) OR d.teacher_id = :scope_me)", params


def list_declarations(
    ctx: ServiceContext,
    *,
    filters: DeclarationFilter = DeclarationFilter(),
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[DeclarationRow], int]:
    """Declarations the actor may see, oldest first (the order they wait in); `total`
    counts every match.

    Raises InvalidValue (1: unknown state or hour type, malformed 学号), PermissionDenied
    (3: a school outside the scope), NotFound (4: no such school).
    """
    actor = ctx.require(*READ_ROLES, action="查看学时申报")
    where, params = visible_sql(actor)
    conditions = [where]
    f = filters
    if f.year is not None:
        conditions.append("d.year = :f_year")
        params["f_year"] = int(f.year)
    if f.hour_type:
        conditions.append("d.hour_type = :f_type")
        params["f_type"] = parse_hour_type(f.hour_type)
    if f.state:
        conditions.append("d.state = :f_state")
        params["f_state"] = parse_state(f.state)
    for key, column, value in (
        ("f_project", "d.project_name", f.project),
        ("f_inst", "d.institution", f.institution),
        ("f_name", "t.name", f.name),
    ):
        text = normalize_text(value) if value else ""
        if text:
            conditions.append(f"{column} LIKE :{key} ESCAPE '/'")
            params[key] = like_contains(text)
    if f.learner:
        conditions.append("t.learner_no = :f_learner")
        params["f_learner"] = normalize_learner_no(f.learner)
    with ctx.raw_reading() as db:
        if f.school:
            code = normalize_text(f.school)
            if rule_for(actor, "school") is not False:  # a unit with schools in its scope
                find_school(db, actor, code)
            conditions.append("s.code = :f_school")
            params["f_school"] = code
        sql = f"{LIST_SQL} WHERE {' AND '.join(conditions)}"
        total = db.scalar(f"SELECT count(*) FROM ({sql}) q", params)
        rows = db.rows(
            f"{sql} ORDER BY d.updated_at, d.id LIMIT :limit OFFSET :offset",
            {**params, "limit": limit, "offset": offset},
        )
    out = [
        DeclarationRow(
            id=int(r[0]),
            learner_no=r[1],
            name=r[2],
            school_name=r[3],
            year=int(r[4]),
            project=r[5],
            institution=r[6],
            hours=hours_of(r[7]),
            hour_type=r[8],
            state=r[9],
            rounds=int(r[10]),
        )
        for r in rows
    ]
    return out, int(total or 0)


REVIEWS_SQL = """
SELECT r.declaration_id, r.round, r.level, r.decision, ac.username, r.reviewed_at, r.reason,
       r.declared
FROM credit_review r
LEFT JOIN account ac ON ac.id = r.reviewer_id
WHERE r.declaration_id IN {ids}
ORDER BY r.declaration_id, r.round, r.reviewed_at, r.id
"""
FILES_SQL = """
SELECT l.declaration_id, a.id, a.file_name, a.size, a.sha256, l.round
FROM credit_declaration_attachment l
JOIN attachment a ON a.id = l.attachment_id
WHERE l.declaration_id IN {ids}
ORDER BY l.declaration_id, l.round, l.id
"""


def _views(db: RawReader, rows: list[tuple[Any, ...]]) -> list[DeclarationView]:
    ids = [int(r[0]) for r in rows]
    reviews: dict[int, list[ReviewView]] = {i: [] for i in ids}
    files: dict[int, list[AttachmentView]] = {i: [] for i in ids}
    if ids:
        params: dict[str, Any] = {}
        sql = REVIEWS_SQL.format(ids=in_list("decl", ids, params))
        for did, rnd, level, decision, reviewer, at, reason, declared in db.rows(sql, params):
            decided = as_utc(at)
            assert decided is not None
            reviews[int(did)].append(
                ReviewView(
                    int(rnd),
                    level,
                    LEVEL_LABELS.get(level, level),
                    DECISIONS.get(decision, decision),
                    reviewer,
                    decided,
                    reason,
                    as_json(declared) if declared is not None else None,
                )
            )
        params = {}
        sql = FILES_SQL.format(ids=in_list("decl", ids, params))
        for did, aid, name, size, sha, rnd in db.rows(sql, params):
            files[int(did)].append(AttachmentView(int(aid), name, int(size), sha, int(rnd)))
    out = []
    for r in rows:
        start, end = as_date(r[8]), as_date(r[9])
        declared_at, updated_at = as_utc(r[16]), as_utc(r[17])
        assert start and end and declared_at and updated_at
        out.append(
            DeclarationView(
                id=int(r[0]),
                learner_no=r[1],
                name=r[2],
                school_code=r[3],
                school_name=r[4],
                year=int(r[5]),
                project=r[6],
                institution=r[7],
                start_date=start,
                end_date=end,
                hours=hours_of(r[10]),
                hour_type=r[11],
                proof=r[12],
                state=r[13],
                rounds=int(r[14]),
                declared_by=r[15],
                declared_at=declared_at,
                updated_at=updated_at,
                reviews=reviews[int(r[0])],
                attachments=files[int(r[0])],
            )
        )
    return out


def load_view(db: RawReader, declaration_id: int) -> DeclarationView:
    """One declaration with its rounds and proofs (no scope check: the caller's)."""
    rows = db.rows(f"{VIEW_SQL} WHERE d.id = :id", {"id": declaration_id})
    if not rows:
        raise NotFound(f"学时申报不存在：{declaration_id}")
    return _views(db, rows)[0]


def show_declaration(ctx: ServiceContext, declaration_id: int) -> DeclarationView:
    """One declaration with every review round and its proofs.

    Raises PermissionDenied (3: outside the scope), NotFound (4).
    """
    actor = ctx.require(*READ_ROLES, action="查看学时申报")
    where, params = visible_sql(actor)
    params["id"] = declaration_id
    with ctx.raw_reading() as db:
        rows = db.rows(f"{VIEW_SQL} WHERE d.id = :id AND {where}", params)
        if not rows:
            exists = db.scalar(
                "SELECT 1 FROM credit_declaration WHERE id = :id", {"id": declaration_id}
            )
            if exists is None:
                raise NotFound(f"学时申报不存在：{declaration_id}")
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能查看本单位范围内的学时申报")
        return _views(db, rows)[0]


@dataclass(frozen=True)
class ProofFile:
    name: str
    size: int
    sha256: str
    content: bytes


def fetch_proof(ctx: ServiceContext, declaration_id: int, attachment_id: int) -> ProofFile:
    """One proof of a declaration the actor may see (seed: "查看附件" downloads the teacher's
    证明): its stored bytes, checked against their SHA-256. Never opened or rendered here.

    Raises VerificationRequired (3: no SMS verification in the last 30 minutes),
    PermissionDenied (3: outside the scope), NotFound (4), Conflict (5: the stored bytes no
    longer match their SHA-256).
    """
    import hashlib

    from jjadmin.errors import Conflict
    from jjadmin.services.identity import require_verified

    show_declaration(ctx, declaration_id)  # the scope check, and NotFound for the declaration
    require_verified(ctx, "下载证明材料")
    with ctx.raw_reading() as db:
        row = db.one_or_none(
            "SELECT a.file_name, a.size, a.sha256, a.content FROM credit_declaration_attachment l"
            " JOIN attachment a ON a.id = l.attachment_id"
            " WHERE l.declaration_id = :d AND l.attachment_id = :a",
            {"d": declaration_id, "a": attachment_id},
        )
    if row is None:
        raise NotFound(
            f"学时申报 {declaration_id} 没有编号为 {attachment_id} 的证明材料",
            hint=f"查看：jjadmin credits show {declaration_id}",
        )
    content = bytes(row[3])
    if hashlib.sha256(content).hexdigest() != row[2]:
        raise Conflict(f"证明材料 {row[0]} 的内容与登记的 SHA-256 不符，未导出")
    return ProofFile(row[0], int(row[1]), row[2], content)
