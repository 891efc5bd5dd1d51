"""Automation tokens of an account: list them, revoke one (`account token --list|--revoke`).

Issuing stays `accounts.issue_token` (default 365 days, at most 3650). Only the SHA-256 of
a secret is kept, so a list shows each token's id, dates and state, never the secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from jjadmin.errors import Conflict, NotFound
from jjadmin.models import AuthToken
from jjadmin.services import audit
from jjadmin.services.accounts import load_managed
from jjadmin.services.context import ServiceContext

MANAGERS = ("city", "district", "school", "institution")


@dataclass(frozen=True)
class TokenView:
    id: int
    username: str
    created_at: datetime
    expires_at: datetime
    state: str  # active | expired | revoked


def list_tokens(ctx: ServiceContext, username: str) -> list[TokenView]:
    """The account's automation tokens, newest first. Raises PermissionDenied (3),
    NotFound (4)."""
    actor = ctx.require(*MANAGERS, action="查看访问令牌")
    with ctx.reading() as session:
        account = load_managed(session, actor, username)
        rows = session.execute(
            select(AuthToken)
            .where(col(AuthToken.account_id) == account.id, col(AuthToken.kind) == "token")
            .order_by(col(AuthToken.id).desc())
        ).scalars()
        return [
            TokenView(
                t.id or 0,
                account.username,
                t.created_at,
                t.expires_at,
                "revoked" if t.revoked else "expired" if t.expires_at <= ctx.now else "active",
            )
            for t in rows
        ]


def revoke_token(ctx: ServiceContext, username: str, token_id: int) -> TokenView:
    """Revoke one automation token of the account (audited). Raises PermissionDenied (3),
    NotFound (4: no such token of this account), Conflict (5: revoked already)."""
    actor = ctx.require(*MANAGERS, action="吊销访问令牌")
    with ctx.transaction() as session:
        account = load_managed(session, actor, username)
        token = session.get(AuthToken, token_id)
        if token is None or token.account_id != account.id or token.kind != "token":
            raise NotFound(f"账号 {account.username} 没有编号为 {token_id} 的访问令牌")
        if token.revoked:
            raise Conflict(f"访问令牌 {token_id} 已吊销")
        token.revoked = True
        audit.record(
            session,
            actor,
            ctx.now,
            "account.token.revoke",
            "auth_token",
            str(token_id),
            before={"username": account.username, "expires_at": token.expires_at},
        )
        return TokenView(token_id, account.username, token.created_at, token.expires_at, "revoked")
