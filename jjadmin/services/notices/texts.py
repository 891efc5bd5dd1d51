"""The texts of a notice (`notice_sms`): sent in chunks through the SMS gateway (ctx.sms),
rate-limited (JJADMIN_SMS_RATE texts a second), each failure retried once at once.

A chunk is marked `sending` and committed before its texts go out, and `sent`/`failed`
after: a crash in the middle leaves at most one chunk `sending`, which `notice resend`
sends again — the only texts that can ever arrive twice. A re-run never re-sends a text
marked `sent`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text

from jjadmin.errors import Conflict, NotFound, PermissionDenied
from jjadmin.services import audit
from jjadmin.services.context import ServiceContext
from jjadmin.services.notices.audience import POSTERS
from jjadmin.services.scope_rules import scope_role

CHUNK = 200
DEFAULT_RATE = 1000


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0


def _message(notice_id: int, title: str) -> str:
    return f"【继续教育】新公告：{title}。请登录继续教育管理平台查看（公告编号 {notice_id}）。"


def _rate(ctx: ServiceContext) -> int:
    return int(getattr(ctx.settings, "sms_rate", DEFAULT_RATE) or DEFAULT_RATE)


def deliver(ctx: ServiceContext, notice_id: int, *, title: str) -> Delivery:
    """Send every `pending` text of the notice; returns how many went out and failed."""
    sender = ctx.sms
    assert sender is not None, "ServiceContext.sms"
    gap = 1.0 / _rate(ctx)
    message = _message(notice_id, title)
    result = Delivery()
    next_at = time.monotonic()
    while True:
        with ctx.transaction() as s:
            # two runs at once (a resend beside a post) never take the same texts:
            # PostgreSQL skips rows another run has claimed; SQLite runs one writer at a time
            lock = " FOR UPDATE SKIP LOCKED" if ctx.engine.dialect.name == "postgresql" else ""
            rows = s.execute(
                text(
                    "SELECT id, mobile FROM notice_sms WHERE notice_id = :n AND state = 'pending' "
                    f"ORDER BY id LIMIT :k{lock}"
                ),
                {"n": notice_id, "k": CHUNK},
            ).all()
            if not rows:
                break
            ids = [int(r[0]) for r in rows]
            s.execute(
                text(
                    "UPDATE notice_sms SET state = 'sending', attempts = attempts + 1 "
                    f"WHERE id IN ({_ids(ids)})"
                )
            )
        sent: list[int] = []
        failed: dict[str, list[int]] = {}
        for row_id, mobile in rows:
            error = None
            for _ in range(2):  # a failure is retried once, at once
                now = time.monotonic()
                if now < next_at:
                    time.sleep(next_at - now)
                next_at = max(now, next_at) + gap
                try:
                    sender.send(str(mobile), message, None, ctx.now)
                    error = None
                    break
                except Exception as exc:  # the gateway's own errors are many and varied
                    error = (str(exc) or type(exc).__name__)[:200]
            if error is None:
                sent.append(int(row_id))
            else:
                failed.setdefault(error, []).append(int(row_id))
        with ctx.transaction() as s:
            if sent:
                s.execute(
                    text(
                        "UPDATE notice_sms SET state = 'sent', sent_at = :at, error = NULL "
                        f"WHERE id IN ({_ids(sent)})"
                    ),
                    {"at": ctx.now},
                )
            for error, ids in failed.items():
                s.execute(
                    text(
                        "UPDATE notice_sms SET state = 'failed', error = :e "
                        f"WHERE id IN ({_ids(ids)})"
                    ),
                    {"e": error},
                )
        result.sent += len(sent)
        result.failed += sum(len(v) for v in failed.values())
    with ctx.transaction() as s:
        audit.record(
            s,
            ctx.actor,
            ctx.now,
            "notice.sms",
            "notice",
            str(notice_id),
            after={"sent": result.sent, "failed": result.failed},
        )
    return result


def _ids(ids: list[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)  # integers from our own rows


@dataclass
class ResendResult:
    id: int
    sms: int
    sms_failed: int


def resend_notice(ctx: ServiceContext, notice_id: int) -> ResendResult:
    """Send again the texts of a notice that did not go out (failed, or cut off by a crash
    while `sending`); texts marked sent are never sent again.

    Raises PermissionDenied (3: not the poster, nor the city), NotFound (4), Conflict (5:
    nothing left to send).
    """
    actor = ctx.require(*POSTERS, action="重发公告短信")
    with ctx.transaction() as s:
        row = s.execute(
            text("SELECT title, posted_by FROM notice WHERE id = :n"), {"n": notice_id}
        ).one_or_none()
        if row is None:
            raise NotFound(f"公告不存在：{notice_id}")
        if scope_role(actor) != "city" and row[1] != actor.account_id:
            raise PermissionDenied("只能重发本人发布的公告的短信")
        title = str(row[0])
        count = s.execute(
            text(
                "UPDATE notice_sms SET state = 'pending' WHERE notice_id = :n "
                "AND state IN ('failed', 'sending')"
            ),
            {"n": notice_id},
        ).rowcount  # type: ignore[attr-defined]
        if not count:
            raise Conflict(f"公告 {notice_id} 没有未发出的短信")
        audit.record(
            s, actor, ctx.now, "notice.resend", "notice", str(notice_id), after={"texts": count}
        )
    delivery = deliver(ctx, notice_id, title=title)
    return ResendResult(notice_id, delivery.sent, delivery.failed)
