"""学时申报 (`credits declare`, `me declare`, `credits resubmit`): training outside the platform,
declared by the teacher (个人申报) or by the teacher's school admin on the teacher's behalf,
with its proofs (pdf/jpg/png ≤ 10 MB each, judged by their bytes, kept with their SHA-256);
it waits for the school's 初审. A declaration returned (已退回) is changed and submitted again
as a new round; every earlier round stays with its reviews.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import Conflict, InputRejected, NotFound, PermissionDenied, UsageError
from jjadmin.models import (
    Attachment,
    CreditDeclaration,
    CreditDeclarationAttachment,
    School,
    Teacher,
)
from jjadmin.rules.codes import normalize_learner_no
from jjadmin.rules.courses import check_text
from jjadmin.rules.declarations import (
    FIRST_STATE,
    RETURNED,
    check_dates,
    check_year,
    parse_declared_hours,
    parse_hour_type,
)
from jjadmin.services import audit
from jjadmin.services.attachments import UploadedFile, read_upload, store_upload
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.credits.queries import DeclarationView, load_view
from jjadmin.services.dbroles.rows import lock_teachers
from jjadmin.services.scope_rules import OUT_OF_SCOPE, school_in_scope

__all__ = ["DeclarationInput", "declare_credit", "resubmit_declaration", "MAX_FILES"]

DECL_T = CreditDeclaration.__table__  # type: ignore[attr-defined]
LINK_T = CreditDeclarationAttachment.__table__  # type: ignore[attr-defined]
TEXT_MAX = 200
MAX_FILES = 10  # proofs per declaration, over all rounds


@dataclass(frozen=True)
class DeclarationInput:
    """What is declared; None in a resubmission keeps the earlier value."""

    year: int | None = None
    project: str | None = None
    institution: str | None = None
    start: date | None = None
    end: date | None = None
    hours: Decimal | str | None = None
    hour_type: str | None = None


@dataclass(frozen=True)
class _Checked:
    year: int
    project: str
    institution: str
    start: date
    end: date
    hours: Decimal
    hour_type: str


def check_values(values: DeclarationInput, *, today: date) -> _Checked:
    """Every value of a complete declaration, checked. Raises InputRejected (1)."""
    missing = [
        label
        for label, v in (
            ("--year", values.year),
            ("--project", values.project),
            ("--institution", values.institution),
            ("--from", values.start),
            ("--to", values.end),
            ("--hours", values.hours),
            ("--hour-type", values.hour_type),
        )
        if v is None
    ]
    if missing:
        raise UsageError(f"缺少：{'、'.join(missing)}")
    assert values.year is not None and values.start is not None and values.end is not None
    year = check_year(int(values.year), today=today)
    project = check_text(values.project, label="项目名称", max_length=TEXT_MAX, required=True)
    institution = check_text(
        values.institution, label="培训机构", max_length=TEXT_MAX, required=True
    )
    assert project is not None and institution is not None
    check_dates(year, values.start, values.end, today=today)
    return _Checked(
        year,
        project,
        institution,
        values.start,
        values.end,
        parse_declared_hours(values.hours),
        parse_hour_type(values.hour_type),
    )


def read_proofs(paths: Sequence[Path]) -> list[UploadedFile]:
    """The proof files, each judged by its bytes and size, before any transaction.

    Raises NotFound (4), InputRejected (1: empty, too large, not pdf/jpg/png, too many).
    """
    if len(paths) > MAX_FILES:
        raise InputRejected(f"证明材料最多 {MAX_FILES} 个文件（给了 {len(paths)} 个）")
    return [read_upload(Path(p), label="证明材料") for p in paths]


def _declarant(session: Session, actor: Actor, learner_no: str | None) -> Teacher:
    """The teacher declaring: the actor themself, or (a school admin) a teacher of its school.

    Raises UsageError (2), NotFound (4), PermissionDenied (3).
    """
    own = session.get(Teacher, actor.teacher_id) if actor.teacher_id is not None else None
    if learner_no is None:
        if own is None:
            raise UsageError(
                "请指定要代为申报的教师学号", hint="jjadmin credits declare 学号 --year …"
            )
        return own
    key = normalize_learner_no(learner_no)
    if own is not None and own.learner_no == key:
        return own
    if not actor.has_role("school"):
        raise PermissionDenied("学员只能为本人申报学时", hint="jjadmin me declare --year …")
    teacher = session.execute(
        select(Teacher).where(col(Teacher.learner_no) == key)
    ).scalar_one_or_none()
    if teacher is None:
        raise NotFound(f"学号不存在：{key}")
    school = session.get(School, teacher.school_id)
    assert school is not None
    if not school_in_scope(actor, school):
        raise PermissionDenied(OUT_OF_SCOPE, hint="只能为本校教师代为申报学时")
    return teacher


def link_proofs(
    session: Session,
    ctx: ServiceContext,
    actor: Actor,
    declaration_id: int,
    round_: int,
    uploads: Sequence[UploadedFile],
) -> list[dict[str, object]]:
    """Store the files and link them to the declaration; returns what the audit keeps.

    A file the declaration holds already (the same SHA-256, e.g. sent again with a
    resubmission) is not stored twice.
    """
    kept = []
    seen = set(
        session.execute(
            select(col(Attachment.sha256))
            .join(LINK_T, LINK_T.c.attachment_id == col(Attachment.id))
            .where(LINK_T.c.declaration_id == declaration_id)
        ).scalars()
    )
    for up in uploads:
        if up.sha256 in seen:
            continue
        seen.add(up.sha256)
        attachment_id = store_upload(session, actor, ctx.now, up)
        session.execute(
            insert(LINK_T).values(
                declaration_id=declaration_id, attachment_id=attachment_id, round=round_
            )
        )
        kept.append({"name": up.name, "size": up.size, "sha256": up.sha256})
    return kept


def _duplicate(session: Session, teacher_id: int, v: _Checked, *, but: int | None) -> int | None:
    c = DECL_T.c
    stmt = select(c.id).where(
        c.teacher_id == teacher_id,
        c.year == v.year,
        c.project_name == v.project,
        c.institution == v.institution,
        c.start_date == v.start,
        c.end_date == v.end,
    )
    if but is not None:
        stmt = stmt.where(c.id != but)
    found = session.execute(stmt.limit(1)).scalar()
    return int(found) if found is not None else None


def declare_credit(
    ctx: ServiceContext,
    *,
    learner_no: str | None,
    values: DeclarationInput,
    attachments: Sequence[Path] = (),
) -> DeclarationView:
    """新增学时申报 (待初审) for the actor (a teacher) or, with `learner_no`, a teacher of the
    school admin's school.

    Raises UsageError (2), InputRejected (1: values, proofs), PermissionDenied (3),
    NotFound (4: 学号, a proof file), Conflict (5: the same training declared already).
    """
    actor = ctx.require("teacher", "school", action="申报学时")
    v = check_values(values, today=ctx.now.date())
    uploads = read_proofs(attachments)
    with ctx.transaction() as session:
        teacher = _declarant(session, actor, learner_no)
        tid = teacher.id or 0
        lock_teachers(session, [tid])  # the same training declared twice at once: one wins
        dup = _duplicate(session, tid, v, but=None)
        if dup is not None:
            raise Conflict(
                f"学号 {teacher.learner_no} 已申报过该培训（申报 {dup}）",
                hint=f"查看：jjadmin credits show {dup}",
            )
        new_id = int(
            session.execute(
                insert(DECL_T)
                .values(
                    teacher_id=tid,
                    year=v.year,
                    project_name=v.project,
                    institution=v.institution,
                    start_date=v.start,
                    end_date=v.end,
                    hours=v.hours,
                    hour_type=v.hour_type,
                    state=FIRST_STATE,
                    round=1,
                    declared_by=actor.account_id,
                    declared_at=ctx.now,
                    updated_at=ctx.now,
                )
                .returning(DECL_T.c.id)
            ).scalar_one()
        )
        files = link_proofs(session, ctx, actor, new_id, 1, uploads)
        audit.record(
            session,
            actor,
            ctx.now,
            "credit.declare",
            "credit_declaration",
            str(new_id),
            after={
                "learner_no": teacher.learner_no,
                **_audit_values(v),
                "state": FIRST_STATE,
                "attachments": files,
                "on_behalf": actor.teacher_id != tid,
            },
        )
    with ctx.raw_reading() as db:
        return load_view(db, new_id)


def _audit_values(v: _Checked) -> dict[str, object]:
    return {
        "year": v.year,
        "project": v.project,
        "institution": v.institution,
        "start_date": v.start,
        "end_date": v.end,
        "hours": v.hours,
        "hour_type": v.hour_type,
    }


def resubmit_declaration(
    ctx: ServiceContext,
    declaration_id: int,
    *,
    changes: DeclarationInput = DeclarationInput(),
    attachments: Sequence[Path] = (),
) -> DeclarationView:
    """重新申报 a returned declaration (已退回): the changed values and any new proofs make a
    new round, waiting for 初审 again. The teacher or the teacher's school admin.

    Raises InputRejected (1), PermissionDenied (3), NotFound (4), Conflict (5: not returned;
    the changed declaration repeats another one).
    """
    actor = ctx.require("teacher", "school", action="重新提交学时申报")
    uploads = read_proofs(attachments)
    with ctx.transaction() as session:
        d = session.execute(
            select(CreditDeclaration)
            .where(col(CreditDeclaration.id) == declaration_id)
            .with_for_update()
        ).scalar_one_or_none()
        if d is None:
            raise NotFound(f"学时申报不存在：{declaration_id}")
        teacher = session.get(Teacher, d.teacher_id)
        assert teacher is not None
        if actor.teacher_id != d.teacher_id:
            school = session.get(School, teacher.school_id)
            assert school is not None
            if not actor.has_role("school") or not school_in_scope(actor, school):
                raise PermissionDenied(OUT_OF_SCOPE, hint="只能重新提交本人或本校教师的学时申报")
        if d.state != RETURNED:
            raise Conflict(
                f"学时申报 {d.id} {d.state}，只有已退回的申报才能重新提交",
                hint=f"查看：jjadmin credits show {d.id}",
            )
        had = session.execute(
            select(func.count()).where(LINK_T.c.declaration_id == d.id)
        ).scalar_one()
        if had + len(uploads) > MAX_FILES:
            raise InputRejected(f"证明材料最多 {MAX_FILES} 个文件（已有 {had} 个）")
        merged = DeclarationInput(
            year=changes.year if changes.year is not None else d.year,
            project=changes.project if changes.project is not None else d.project_name,
            institution=(changes.institution if changes.institution is not None else d.institution),
            start=changes.start if changes.start is not None else d.start_date,
            end=changes.end if changes.end is not None else d.end_date,
            hours=changes.hours if changes.hours is not None else d.hours,
            hour_type=changes.hour_type if changes.hour_type is not None else d.hour_type,
        )
        v = check_values(merged, today=ctx.now.date())
        dup = _duplicate(session, d.teacher_id, v, but=d.id)
        if dup is not None:
            raise Conflict(
                f"修改后与已有的学时申报 {dup} 重复",
                hint=f"查看：jjadmin credits show {dup}",
            )
        before = {
            "round": d.round,
            "state": d.state,
            **_audit_values(
                _Checked(
                    d.year,
                    d.project_name,
                    d.institution,
                    d.start_date,
                    d.end_date,
                    d.hours,
                    d.hour_type,
                )
            ),
        }
        d.year, d.project_name, d.institution = v.year, v.project, v.institution
        d.start_date, d.end_date, d.hours, d.hour_type = v.start, v.end, v.hours, v.hour_type
        d.round += 1
        d.state = FIRST_STATE
        d.updated_at = ctx.now
        session.flush()
        files = link_proofs(session, ctx, actor, d.id or 0, d.round, uploads)
        audit.record(
            session,
            actor,
            ctx.now,
            "credit.resubmit",
            "credit_declaration",
            str(d.id),
            before=before,
            after={
                "round": d.round,
                "state": d.state,
                **_audit_values(v),
                "attachments": files,
            },
        )
    with ctx.raw_reading() as db:
        return load_view(db, declaration_id)
