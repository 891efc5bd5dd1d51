"""SMS verification: 6-digit code, 10 minutes, single use, 5 tries, 30-minute window."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import Conflict, InputRejected, VerificationRequired
from jjadmin.models import Account, AuthToken, VerificationCode
from jjadmin.rules.ids import mask_mobile
from jjadmin.services import audit
from jjadmin.services.auth import token_digest
from jjadmin.services.context import Actor, ServiceContext
from jjadmin.services.identity import VERIFY_HINT as VERIFY_HINT  # re-exported
from jjadmin.services.identity import require_verified as require_verified  # re-exported

CODE_MINUTES = 10
VERIFIED_MINUTES = 30
MAX_TRIES = 5
MAX_SENDS_PER_HOUR = 10


@dataclass(frozen=True)
class CodeSent:
    mobile_masked: str
    expires_at: datetime


def _issue(
    session: Session, ctx: ServiceContext, actor: Actor, mobile: str, purpose: str, text: str
) -> CodeSent:
    since = ctx.now - timedelta(hours=1)
    recent = session.execute(
        select(func.count())
        .select_from(VerificationCode)
        .where(
            col(VerificationCode.account_id) == actor.account_id,
            col(VerificationCode.sent_at) > since,
        )
    ).scalar_one()
    if recent >= MAX_SENDS_PER_HOUR:
        # a resend is allowed (it voids the previous code), a flood of SMS is not
        raise Conflict(
            f"1 小时内已发送 {recent} 条验证码，请稍后再试",
            hint="收到的最新验证码 10 分钟内有效：jjadmin verify check 验证码",
        )
    session.execute(
        update(VerificationCode)
        .where(
            col(VerificationCode.account_id) == actor.account_id,
            col(VerificationCode.purpose) == purpose,
            col(VerificationCode.used).is_(False),
        )
        .values(void=True)
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires = ctx.now + timedelta(minutes=CODE_MINUTES)
    session.add(
        VerificationCode(
            account_id=actor.account_id or 0,
            token_id=actor.token_id,
            purpose=purpose,
            target_mobile=mobile,
            code_hash=token_digest(code),
            sent_at=ctx.now,
            expires_at=expires,
        )
    )
    assert ctx.sms is not None
    ctx.sms.send(mobile, text.format(code=code), code, ctx.now)
    audit.record(
        session,
        actor,
        ctx.now,
        f"verify.send.{purpose}",
        "account",
        actor.username,
        after={"to": mask_mobile(mobile)},
    )
    return CodeSent(mask_mobile(mobile), expires)


def send_code(ctx: ServiceContext) -> CodeSent:
    """Send a 6-digit code to the account's bound mobile.

    Raises InputRejected when no mobile is bound, Conflict when asked again within 60 s.
    """
    actor = ctx.actor
    with ctx.transaction() as session:
        account = session.get(Account, actor.account_id)
        assert account is not None
        if not account.mobile:
            raise InputRejected(
                "该账号未绑定手机号，无法发送验证码",
                hint="先运行 jjadmin account phone 手机号 绑定手机",
            )
        return _issue(
            session,
            ctx,
            actor,
            account.mobile,
            "verify",
            "【继续教育】验证码 {code}，10 分钟内有效。如非本人操作请忽略。",
        )


def _consume(
    session: Session,
    ctx: ServiceContext,
    actor: Actor,
    code: str,
    purpose: str,
    mobile: str | None = None,
) -> VerificationCode:
    stmt = (
        select(VerificationCode)
        .where(
            col(VerificationCode.account_id) == actor.account_id,
            col(VerificationCode.purpose) == purpose,
        )
        .order_by(col(VerificationCode.id).desc())
        .limit(1)
    )
    row = session.execute(stmt).scalar_one_or_none()
    failure: VerificationRequired | None = None
    if row is None or row.used:
        failure = VerificationRequired("没有待验证的验证码", hint="先运行 jjadmin verify send")
    elif row.void:
        failure = VerificationRequired(
            "验证码已失效（错误次数过多或已重新获取）", hint="重新运行 jjadmin verify send"
        )
    elif row.expires_at <= ctx.now:
        failure = VerificationRequired(
            "验证码已过期（10 分钟内有效）", hint="重新运行 jjadmin verify send"
        )
    elif mobile is not None and row.target_mobile != mobile:
        failure = VerificationRequired("验证码不是发往该手机号的")
    elif not hmac.compare_digest(row.code_hash, token_digest(code.strip())):
        if _is_replaced_code(session, actor, purpose, row, code):
            raise _Deferred(
                VerificationRequired(
                    "该验证码已失效（已重新获取验证码）", hint="请使用最新收到的验证码"
                )
            )
        row.tries += 1
        if row.tries >= MAX_TRIES:
            row.void = True
            failure = VerificationRequired(
                "验证码错误次数过多，已作废", hint="重新运行 jjadmin verify send"
            )
        else:
            failure = VerificationRequired(f"验证码错误（还可尝试 {MAX_TRIES - row.tries} 次）")
    if failure is not None:
        raise _Deferred(failure)
    assert row is not None
    row.used = True
    return row


def _is_replaced_code(
    session: Session, actor: Actor, purpose: str, latest: VerificationCode, code: str
) -> bool:
    """True when `code` is an earlier code that a resend voided (not a wrong try)."""
    found = session.execute(
        select(col(VerificationCode.id))
        .where(
            col(VerificationCode.account_id) == actor.account_id,
            col(VerificationCode.purpose) == purpose,
            col(VerificationCode.id) != latest.id,
            col(VerificationCode.code_hash) == token_digest(code.strip()),
            col(VerificationCode.sent_at) > latest.sent_at - timedelta(minutes=CODE_MINUTES),
        )
        .limit(1)
    ).first()
    return found is not None


class _Deferred(Exception):
    """Carries a failure out of the transaction after the try counter is committed."""

    def __init__(self, error: VerificationRequired):
        super().__init__(error.message)
        self.error = error


def check_code(ctx: ServiceContext, code: str) -> datetime:
    """Mark the session verified for 30 minutes; returns the end of the window.

    Raises VerificationRequired (exit 3) for a wrong, expired, used or voided code.
    """
    actor = ctx.actor
    with ctx.transaction() as session:
        try:
            _consume(session, ctx, actor, code, "verify")
        except _Deferred as deferred:
            session.commit()  # keep the try counter
            raise deferred.error from None
        until = ctx.now + timedelta(minutes=VERIFIED_MINUTES)
        session.execute(
            update(AuthToken)
            .where(col(AuthToken.id) == actor.token_id)
            .values(verified_until=until)
        )
        audit.record(session, actor, ctx.now, "verify.check", "account", actor.username)
        return until


def send_phone_code(ctx: ServiceContext, mobile: str) -> CodeSent:
    actor = ctx.actor
    with ctx.transaction() as session:
        return _issue(
            session,
            ctx,
            actor,
            mobile,
            "phone",
            "【继续教育】您正在绑定此手机，验证码 {code}，10 分钟内有效。",
        )


def confirm_phone(ctx: ServiceContext, mobile: str, code: str) -> None:
    actor = ctx.actor
    with ctx.transaction() as session:
        try:
            _consume(session, ctx, actor, code, "phone", mobile=mobile)
        except _Deferred as deferred:
            session.commit()
            raise deferred.error from None
        account = session.get(Account, actor.account_id)
        assert account is not None
        before = {"mobile": mask_mobile(account.mobile or "")}
        account.mobile = mobile
        audit.record(
            session,
            actor,
            ctx.now,
            "account.phone",
            "account",
            actor.username,
            before=before,
            after={"mobile": mask_mobile(mobile)},
        )
