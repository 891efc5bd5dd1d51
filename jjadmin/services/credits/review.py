"""学时申报审核 (`credits review`; seed 学时申报审核): the teacher's school decides first (初审),
then the school's district (终审); 通过 at 终审 credits the declared hours to the teacher's
ledger (the declared year and 学时类型). Either level may 退回重新申报 with a reason (已退回);
the teacher changes it and submits a new round (`credits resubmit`). Every decision is kept
with its round, who, when, why and the declaration as it was seen, and audited.

Two reviews of one declaration at once: the row is locked first (SELECT … FOR UPDATE on
PostgreSQL; SQLite's write transaction is BEGIN IMMEDIATE), so one wins and the other finds
the state it left (exit 5).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlmodel import col

from jjadmin import faults
from jjadmin.errors import Conflict, InputRejected, NotFound, PermissionDenied, UsageError
from jjadmin.models import (
    Attachment,
    CreditDeclaration,
    CreditDeclarationAttachment,
    CreditReview,
    School,
    Teacher,
)
from jjadmin.rules.declarations import (
    APPROVED,
    DISTRICT,
    LEVEL_LABELS,
    LEVELS,
    REASON_MAX,
    RETURNED,
    REVIEWERS,
    after_approval,
    review_problem,
)
from jjadmin.rules.ids import normalize_text
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.credits.ledger import post_credit
from jjadmin.services.credits.queries import DeclarationView, load_view
from jjadmin.services.scope_rules import OUT_OF_SCOPE, school_in_scope, scope_role

__all__ = ["SOURCE", "review_declaration"]

SOURCE = "declaration"  # the ledger's source of an approved declaration (source_ref = its id)
REVIEW_T = CreditReview.__table__  # type: ignore[attr-defined]


def _level_of(actor: Actor) -> str:
    """初审 for a school (its admin, principal or authorised teacher), 终审 for a district.

    Raises PermissionDenied (3) for the roles that review neither.
    """
    role = scope_role(actor)
    if role not in LEVELS:
        order = "→".join(f"{LEVEL_LABELS[x]}（{REVIEWERS[x]}）" for x in LEVELS)
        raise PermissionDenied(
            f"当前账号 {actor.label} 不审核学时申报", hint=f"审核依次为：{order}"
        )
    return role


def _seen(d: CreditDeclaration, files: list[dict[str, Any]]) -> dict[str, Any]:
    return audit.jsonable(
        {
            "year": d.year,
            "project": d.project_name,
            "institution": d.institution,
            "start_date": d.start_date,
            "end_date": d.end_date,
            "hours": d.hours,
            "hour_type": d.hour_type,
            "attachments": files,
        }
    )


def review_declaration(
    ctx: ServiceContext, declaration_id: int, *, approve: bool, reason: str | None = None
) -> DeclarationView:
    """审核 one declaration at the actor's level: 通过 (初审 → 待终审; 终审 → 已通过, credited)
    or 退回重新申报 with a reason (已退回).

    Raises UsageError (2: a return without a reason), InputRejected (1: reason too long),
    PermissionDenied (3: a role that reviews no level, outside the scope, one's own),
    NotFound (4), Conflict (5: out of order, twice, returned or approved already).
    """
    actor = ctx.require("school", "district", action="审核学时申报")
    level = _level_of(actor)
    why = (normalize_text(reason) or None) if reason is not None else None
    if not approve and not why:
        raise UsageError("退回必须在审核意见中写明原因", hint="加 --reason 原因")
    if why is not None and len(why) > REASON_MAX:
        raise InputRejected(f"原因过长（{len(why)}个字符，最多{REASON_MAX}个）")
    with ctx.transaction() as session:
        d = session.execute(
            select(CreditDeclaration)
            .where(col(CreditDeclaration.id) == declaration_id)
            .with_for_update()
        ).scalar_one_or_none()
        faults.point("credits.review")
        if d is None:
            raise NotFound(f"学时申报不存在：{declaration_id}")
        teacher = session.get(Teacher, d.teacher_id)
        assert teacher is not None
        school = session.get(School, teacher.school_id)
        assert school is not None
        if not school_in_scope(actor, school):
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能审核本单位范围内的学时申报")
        if actor.teacher_id is not None and actor.teacher_id == d.teacher_id:
            raise PermissionDenied("不能审核本人的学时申报", hint="请由本校其他管理员审核")
        problem = review_problem(d.state, level)
        if problem is not None:
            raise Conflict(problem, hint=f"查看：jjadmin credits show {d.id}")

        files = [
            {"name": name, "sha256": sha, "round": rnd}
            for name, sha, rnd in session.execute(
                select(
                    col(Attachment.file_name),
                    col(Attachment.sha256),
                    col(CreditDeclarationAttachment.round),
                )
                .join(
                    CreditDeclarationAttachment,
                    col(CreditDeclarationAttachment.attachment_id) == col(Attachment.id),
                )
                .where(col(CreditDeclarationAttachment.declaration_id) == d.id)
                .order_by(col(CreditDeclarationAttachment.id))
            ).all()
        ]
        session.execute(
            insert(REVIEW_T).values(
                declaration_id=d.id,
                round=d.round,
                level=level,
                decision="approve" if approve else "return",
                reason=why,
                reviewer_id=actor.account_id,
                reviewed_at=ctx.now,
                declared=_seen(d, files),
            )
        )
        before = d.state
        d.state = after_approval(level) if approve else RETURNED
        d.updated_at = ctx.now
        session.flush()
        if d.state == APPROVED:
            assert level == DISTRICT
            post_credit(
                session,
                teacher_id=d.teacher_id,
                year=d.year,
                hours=d.hours,
                hour_type=d.hour_type,
                training_level=None,
                source=SOURCE,
                source_ref=str(d.id),
                title=d.project_name,
                now=ctx.now,
            )
        audit.record(
            session,
            actor,
            ctx.now,
            "credit.review",
            "credit_declaration",
            str(d.id),
            before={"state": before, "round": d.round},
            after={
                "level": LEVEL_LABELS[level],
                "decision": "通过" if approve else "退回重新申报",
                "reason": why,
                "state": d.state,
                "credited": d.state == APPROVED,
            },
        )
    with ctx.raw_reading() as db:
        return load_view(db, declaration_id)
