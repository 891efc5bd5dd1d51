"""SMS verification: 6 digits, 10-minute code, single use, 5 tries, 30-minute window."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jjadmin.errors import Conflict, InputRejected, VerificationRequired
from jjadmin.models import Account, AuditLog
from jjadmin.services import auth, verification
from jjadmin.services.context import ServiceContext
from tests.conftest import CtxFactory, Outbox
from tests.factories import NOW, make_account

PASSWORD = "Passw0rd!"


@pytest.fixture
def token(session: Session, make_ctx: CtxFactory) -> str:
    """A logged-in district admin whose bound mobile is 13900139000."""
    make_account(
        session,
        "district",
        username="d1",
        district="440104",
        password_hash=auth.hash_password(PASSWORD),
    )
    session.commit()
    return auth.login(make_ctx(), "d1", PASSWORD).token


def _at(make_ctx: CtxFactory, token: str, minutes: float = 0) -> ServiceContext:
    return make_ctx(now=NOW + timedelta(minutes=minutes), credentials=token)


def _verified(make_ctx: CtxFactory, token: str, minutes: float) -> bool:
    return _at(make_ctx, token, minutes).actor.is_verified(NOW + timedelta(minutes=minutes))


def test_send_writes_a_six_digit_code_to_the_bound_mobile(
    make_ctx: CtxFactory, outbox: Outbox, token: str
) -> None:
    sent = verification.send_code(_at(make_ctx, token))
    assert sent.mobile_masked == "139****9000"
    assert sent.expires_at == NOW + timedelta(minutes=10)
    (message,) = outbox.messages()
    assert message["to"] == "13900139000"
    assert re.fullmatch(r"\d{6}", message["code"])
    assert message["code"] in message["text"]
    assert datetime.fromisoformat(message["at"]) == NOW


def test_a_correct_code_verifies_the_session_for_thirty_minutes(
    make_ctx: CtxFactory, outbox: Outbox, token: str
) -> None:
    with pytest.raises(VerificationRequired, match="短信验证") as before:
        verification.require_verified(_at(make_ctx, token))
    assert "jjadmin verify send" in (before.value.hint or "")
    verification.send_code(_at(make_ctx, token))
    until = verification.check_code(_at(make_ctx, token, 2), outbox.last_code())
    assert until == NOW + timedelta(minutes=32)
    verification.require_verified(_at(make_ctx, token, 31.99))
    assert _verified(make_ctx, token, 2 + 29 + 59 / 60)
    assert not _verified(make_ctx, token, 2 + 30 + 1 / 60)
    with pytest.raises(VerificationRequired):
        verification.require_verified(_at(make_ctx, token, 32 + 1 / 60))


def test_a_code_expires_after_ten_minutes(make_ctx: CtxFactory, outbox: Outbox, token: str) -> None:
    verification.send_code(_at(make_ctx, token))
    with pytest.raises(VerificationRequired, match="已过期"):
        verification.check_code(_at(make_ctx, token, 10 + 1 / 60), outbox.last_code())
    verification.send_code(_at(make_ctx, token, 11))
    verification.check_code(_at(make_ctx, token, 11 + 9 + 59 / 60), outbox.last_code())


def test_a_code_is_single_use(make_ctx: CtxFactory, outbox: Outbox, token: str) -> None:
    verification.send_code(_at(make_ctx, token))
    code = outbox.last_code()
    verification.check_code(_at(make_ctx, token, 1), code)
    with pytest.raises(VerificationRequired, match="没有待验证的验证码"):
        verification.check_code(_at(make_ctx, token, 2), code)


def test_five_wrong_tries_void_the_code(make_ctx: CtxFactory, outbox: Outbox, token: str) -> None:
    verification.send_code(_at(make_ctx, token))
    code = outbox.last_code()
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(VerificationRequired, match=f"还可尝试 {left} 次"):
            verification.check_code(_at(make_ctx, token, 1), wrong)
    with pytest.raises(VerificationRequired, match="已作废"):
        verification.check_code(_at(make_ctx, token, 1), wrong)
    with pytest.raises(VerificationRequired, match="已失效"):
        verification.check_code(_at(make_ctx, token, 1), code)
    assert not _verified(make_ctx, token, 1)


def test_a_resend_voids_the_previous_code(make_ctx: CtxFactory, outbox: Outbox, token: str) -> None:
    verification.send_code(_at(make_ctx, token))
    first = outbox.last_code()
    verification.send_code(_at(make_ctx, token))  # "重新获取" right away is allowed
    second = outbox.last_code()
    if first != second:
        with pytest.raises(VerificationRequired, match="已失效"):
            verification.check_code(_at(make_ctx, token, 1), first)
    verification.check_code(_at(make_ctx, token, 1), second)


def test_sms_flooding_is_refused(make_ctx: CtxFactory, token: str) -> None:
    for _ in range(verification.MAX_SENDS_PER_HOUR):
        verification.send_code(_at(make_ctx, token))
    with pytest.raises(Conflict, match="请稍后再试"):
        verification.send_code(_at(make_ctx, token))
    verification.send_code(_at(make_ctx, token, 61))


def test_verification_belongs_to_the_session_that_checked_the_code(
    make_ctx: CtxFactory, outbox: Outbox, token: str
) -> None:
    verification.send_code(_at(make_ctx, token))
    verification.check_code(_at(make_ctx, token), outbox.last_code())
    other_session = auth.login(make_ctx(), "d1", PASSWORD).token
    assert _verified(make_ctx, token, 1)
    assert not _verified(make_ctx, other_session, 1)


def test_an_account_without_a_mobile_cannot_be_verified(
    session: Session, make_ctx: CtxFactory
) -> None:
    make_account(session, "city", username="nophone", password_hash=auth.hash_password(PASSWORD))
    session.execute(Account.__table__.update().values(mobile=None))  # type: ignore[attr-defined]
    session.commit()
    tok = auth.login(make_ctx(), "nophone", PASSWORD).token
    with pytest.raises(InputRejected, match="未绑定手机号") as err:
        verification.send_code(make_ctx(credentials=tok))
    assert "account phone" in (err.value.hint or "")


def test_rebinding_the_mobile_needs_a_code_sent_to_the_new_number(
    session: Session, make_ctx: CtxFactory, outbox: Outbox, token: str
) -> None:
    verification.send_phone_code(_at(make_ctx, token), "13700137000")
    message = outbox.messages()[-1]
    assert message["to"] == "13700137000"
    with pytest.raises(VerificationRequired, match="不是发往该手机号"):
        verification.confirm_phone(_at(make_ctx, token, 1), "13600136000", message["code"])
    verification.confirm_phone(_at(make_ctx, token, 1), "13700137000", message["code"])
    mobile = session.execute(select(Account.mobile).where(Account.username == "d1")).scalar()
    actions = session.execute(select(AuditLog.action)).scalars().all()
    session.rollback()
    assert mobile == "13700137000"
    assert "account.phone" in actions
    assert "verify.send.phone" in actions
