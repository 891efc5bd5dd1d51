"""信息审核: reopen (重新更新), submit (by the teacher or on their behalf), approve or reject."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jjadmin.clock import local
from jjadmin.errors import Conflict, InputRejected, NotFound, UsageError
from jjadmin.models import Teacher, TeacherChange
from jjadmin.rules.enums import ReviewState, check_in_list
from jjadmin.rules.ids import normalize_mobile, normalize_text, parse_id_number
from jjadmin.rules.people import normalize_address, normalize_email, normalize_name
from jjadmin.services import audit
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.teachers.common import TC, T, _audit_safe, _find_teacher, _sync_account
from jjadmin.services.teachers.views import ADMIN_ROLES, LABELS


@dataclass(frozen=True)
class ReviewResult:
    learner_no: str
    round: int
    state: str
    review_state: str


@dataclass(frozen=True)
class SelfUpdateResult:
    """`me update`: the fields applied at once and the ones submitted for review (if any)."""

    learner_no: str
    applied: list[str]
    submitted: list[str]
    round: int | None
    review_state: str


# What a teacher edits directly (seed 我的（个人中心）: "教师能够通过编辑的方式核对和修改手机号码、
# 邮箱、通讯地址等信息"); everything else goes through the school's review (SPEC §6 Teacher).
SELF_DIRECT = ("mobile", "email", "address")


def reopen_teacher(ctx: ServiceContext, learner_no: str) -> ReviewResult:
    """重新更新: let the teacher resubmit their info (a new review round).

    Raises NotFound (4), PermissionDenied (3), Conflict (5: already reopened or submitted).
    """
    actor = ctx.require(*ADMIN_ROLES, action="重新更新教师信息")
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        if t.review_state == ReviewState.REOPENED.value:
            raise Conflict(f"学号 {t.learner_no} 已处于“重新更新”状态，等待教师提交")
        if t.review_state == ReviewState.SUBMITTED.value:
            raise Conflict(
                f"学号 {t.learner_no} 有已提交未审核的修改，请先审核",
                hint=f"jjadmin teacher review {t.learner_no} --approve 或 --reject --reason …",
            )
        change = TeacherChange(
            teacher_id=t.id or 0,
            round=_next_round(session, t.id or 0),
            state="reopened",
            reopened_by=actor.account_id,
            reopened_at=ctx.now,
        )
        session.add(change)
        t.review_state = ReviewState.REOPENED.value
        audit.record(
            session,
            actor,
            ctx.now,
            "teacher.reopen",
            "teacher",
            t.learner_no,
            after={"round": change.round},
        )
        return ReviewResult(t.learner_no, change.round, "reopened", t.review_state)


def _next_round(session: Session, teacher_id: int) -> int:
    top = session.execute(
        select(func.max(TC.c.round)).where(TC.c.teacher_id == teacher_id)
    ).scalar_one_or_none()
    return int(top or 0) + 1


def _proposed(
    ctx: ServiceContext,
    *,
    name: str | None,
    id_number: str | None,
    mobile: str | None,
    email: str | None,
    address: str | None,
    title: str | None,
    stage: str | None = None,
    subject: str | None = None,
) -> dict[str, Any]:
    proposed: dict[str, Any] = {}
    if name is not None:
        proposed["name"] = normalize_name(name)
    if id_number is not None:
        proposed["id_number"] = parse_id_number(id_number, today=local(ctx.now).date()).value
    if mobile is not None:
        proposed["mobile"] = normalize_mobile(mobile)
    if email is not None:
        proposed["email"] = normalize_email(email)
    if address is not None:
        proposed["address"] = normalize_address(address)
    if title is not None:
        proposed["title"] = check_in_list("职称", title)
    if stage is not None:
        proposed["stage"] = check_in_list("任教学段", stage)
    if subject is not None:
        proposed["subject"] = check_in_list("任教学科", subject)
    if not proposed:
        raise InputRejected(
            "没有要提交的修改", hint="例如 --name 姓名 --id-number 身份证号 --mobile 手机号"
        )
    return proposed


def _submit(
    session: Session,
    ctx: ServiceContext,
    actor: Actor,
    t: Teacher,
    proposed: dict[str, Any],
) -> ReviewResult:
    if t.review_state == ReviewState.SUBMITTED.value:
        raise Conflict(
            f"学号 {t.learner_no} 已有已提交未审核的修改，请等待审核",
            hint=f"jjadmin teacher review {t.learner_no} --approve 或 --reject --reason …",
        )
    changes = {k: v for k, v in proposed.items() if getattr(t, k) != v}
    if not changes:
        raise Conflict("提交的信息与当前信息相同，无需审核")
    if "id_number" in changes:
        _check_id_free(session, t, changes["id_number"])
    before = {k: getattr(t, k) for k in changes}
    open_round = session.execute(
        select(TeacherChange)
        .where(TC.c.teacher_id == t.id, TC.c.state == "reopened")
        .order_by(TC.c.round.desc())
        .limit(1)
    ).scalar_one_or_none()
    if open_round is None:
        open_round = TeacherChange(
            teacher_id=t.id or 0, round=_next_round(session, t.id or 0), state="submitted"
        )
        session.add(open_round)
    open_round.state = "submitted"
    open_round.changes = changes
    open_round.before = audit.jsonable(before)
    open_round.submitted_by = actor.account_id
    open_round.submitted_at = ctx.now
    t.review_state = ReviewState.SUBMITTED.value
    session.flush()
    audit.record(
        session,
        actor,
        ctx.now,
        "teacher.submit",
        "teacher",
        t.learner_no,
        before=_audit_safe(before),
        after=_audit_safe(changes),
    )
    return ReviewResult(t.learner_no, open_round.round, "submitted", t.review_state)


def _check_id_free(session: Session, t: Teacher, id_number: str) -> None:
    other = session.execute(
        select(T.c.learner_no).where(T.c.id_number == id_number, T.c.id != t.id)
    ).scalar_one_or_none()
    if other is not None:
        raise Conflict(f"身份证号已被其他教师使用（学号 {other}）")


def submit_change(
    ctx: ServiceContext,
    learner_no: str,
    *,
    name: str | None = None,
    id_number: str | None = None,
    mobile: str | None = None,
    email: str | None = None,
    address: str | None = None,
    title: str | None = None,
) -> ReviewResult:
    """An admin submits a change on the teacher's behalf; it waits as 已提交未审核.

    Raises InputRejected (1: bad value, nothing to submit), NotFound (4),
    PermissionDenied (3), Conflict (5: already submitted, ID number in use, no difference).
    """
    actor = ctx.require(*ADMIN_ROLES, action="代教师提交信息修改")
    proposed = _proposed(
        ctx,
        name=name,
        id_number=id_number,
        mobile=mobile,
        email=email,
        address=address,
        title=title,
    )
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        return _submit(session, ctx, actor, t, proposed)


def review_change(
    ctx: ServiceContext, learner_no: str, *, approve: bool, reason: str | None = None
) -> ReviewResult:
    """审核: approve (apply the submitted change, re-validating the ID number) or reject.

    Raises UsageError (2: reject without reason), NotFound (4), PermissionDenied (3),
    Conflict (5: nothing submitted; the new ID number is now taken), InputRejected (1).
    """
    actor = ctx.require(*ADMIN_ROLES, action="审核教师信息")
    reason = normalize_text(reason) if reason is not None else None
    if not approve and not reason:
        raise UsageError("驳回需要说明原因", hint="加 --reason 原因")
    with ctx.transaction() as session:
        t = _find_teacher(session, actor, learner_no)
        change = session.execute(
            select(TeacherChange)
            .where(TC.c.teacher_id == t.id, TC.c.state == "submitted")
            .order_by(TC.c.round.desc())
            .limit(1)
        ).scalar_one_or_none()
        if t.review_state != ReviewState.SUBMITTED.value or change is None:
            raise Conflict(
                f"学号 {t.learner_no} 没有已提交待审核的信息修改",
                hint="先由教师提交（jjadmin me update）或代为提交："
                f"jjadmin teacher submit {t.learner_no}",
            )
        change.reviewed_by = actor.account_id
        change.reviewed_at = ctx.now
        change.reason = reason
        if approve:
            applied = _apply_change(session, ctx, t, dict(change.changes or {}))
            change.state = "approved"
            t.review_state = ReviewState.NORMAL.value
            audit.record(
                session,
                actor,
                ctx.now,
                "teacher.review.approve",
                "teacher",
                t.learner_no,
                before=_audit_safe(dict(change.before or {})),
                after=_audit_safe(applied),
            )
        else:
            change.state = "rejected"
            t.review_state = ReviewState.REJECTED.value
            audit.record(
                session,
                actor,
                ctx.now,
                "teacher.review.reject",
                "teacher",
                t.learner_no,
                after={"reason": reason, "round": change.round},
            )
        return ReviewResult(t.learner_no, change.round, change.state, t.review_state)


def _apply_change(
    session: Session, ctx: ServiceContext, t: Teacher, changes: dict[str, Any]
) -> dict[str, Any]:
    applied: dict[str, Any] = {}
    if "id_number" in changes:
        ident = parse_id_number(changes["id_number"], today=local(ctx.now).date())
        _check_id_free(session, t, ident.value)
        applied.update(id_number=ident.value, gender=ident.gender, birth_date=ident.birth_date)
    for key in ("name", "mobile", "email", "address", "title", "stage", "subject"):
        if key in changes:
            applied[key] = changes[key]
    for key, value in applied.items():
        setattr(t, key, value)
    t.version += 1
    t.updated_at = ctx.now
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("身份证号已被其他教师使用") from exc
    _sync_account(session, t.id or 0, applied)
    return applied


def update_my_info(
    ctx: ServiceContext,
    *,
    name: str | None = None,
    id_number: str | None = None,
    mobile: str | None = None,
    email: str | None = None,
    address: str | None = None,
    title: str | None = None,
    stage: str | None = None,
    subject: str | None = None,
) -> SelfUpdateResult:
    """信息更新 (`me update`): 手机号, 电子邮箱 and 通讯地址 change at once (audited); 任教学段,
    任教学科 and 职称 are submitted for the school's review (已提交未审核); 姓名 and 身份证号
    too, but only after the school admin's 重新更新. One transaction: nothing changes when
    any part is refused.

    Raises InputRejected (1), PermissionDenied (3), Conflict (5: name/ID not reopened, a
    change already waiting, ID number in use, nothing different to review, a field being
    edited that waits in a submitted change).
    """
    actor = ctx.require("teacher", action="修改个人信息")
    proposed = _proposed(
        ctx,
        name=name,
        id_number=id_number,
        mobile=mobile,
        email=email,
        address=address,
        title=title,
        stage=stage,
        subject=subject,
    )
    direct = {k: v for k, v in proposed.items() if k in SELF_DIRECT}
    reviewed = {k: v for k, v in proposed.items() if k not in SELF_DIRECT}
    with ctx.transaction() as session:
        t = session.get(Teacher, actor.teacher_id)
        if t is None:
            raise NotFound("找不到当前账号对应的教师记录")
        identity = {
            k for k in ("name", "id_number") if k in reviewed and reviewed[k] != getattr(t, k)
        }
        if identity and t.review_state != ReviewState.REOPENED.value:
            raise Conflict(
                "姓名和身份证号需学校继续教育管理员“重新更新”后才能修改",
                hint=f"请联系学校管理员执行：jjadmin teacher reopen {t.learner_no}",
            )
        applied = _apply_own(session, ctx, actor, t, direct)
        waiting = sorted(k for k, v in reviewed.items() if getattr(t, k) != v)
        submitted: ReviewResult | None = None
        if waiting or (reviewed and not applied):  # nothing different at all: _submit says so
            submitted = _submit(session, ctx, actor, t, reviewed)
        return SelfUpdateResult(
            t.learner_no,
            sorted(applied),
            waiting,
            submitted.round if submitted is not None else None,
            t.review_state,
        )


def _apply_own(
    session: Session, ctx: ServiceContext, actor: Actor, t: Teacher, values: dict[str, Any]
) -> dict[str, Any]:
    """The teacher's own 手机号/电子邮箱/通讯地址, applied now; returns what changed.

    Raises Conflict (5) when a changed field waits in a submitted change (its approval would
    undo the edit).
    """
    changes = {k: v for k, v in values.items() if getattr(t, k) != v}
    if not changes:
        return {}
    if t.review_state == ReviewState.SUBMITTED.value:
        waiting = session.execute(
            select(TC.c.changes).where(TC.c.teacher_id == t.id, TC.c.state == "submitted")
        ).scalars()
        pending = {k for c in waiting for k in (c or {}) if k in changes}
        if pending:
            labels = "、".join(LABELS[k] for k in sorted(pending))
            raise Conflict(
                f"{labels}有已提交未审核的修改，请等待学校管理员审核后再改",
                hint=f"审核：jjadmin teacher review {t.learner_no} --approve 或 --reject",
            )
    before = {k: getattr(t, k) for k in changes}
    for key, value in changes.items():
        setattr(t, key, value)
    t.version += 1
    t.updated_at = ctx.now
    session.flush()
    _sync_account(session, t.id or 0, changes)
    audit.record(
        session,
        actor,
        ctx.now,
        "teacher.update.self",
        "teacher",
        t.learner_no,
        before=_audit_safe(before),
        after=_audit_safe(changes),
    )
    return changes
