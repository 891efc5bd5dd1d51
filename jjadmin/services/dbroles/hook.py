"""A password set in jjadmin becomes the account's PostgreSQL login password (a city with
login roles): `account add`, `account passwd`, `passwd-reset`, `db recover-admin`, and a
login whose role has no password yet (one the sync created for an existing account).

The plain password is in hand only at those moments. It never reaches the server: the SCRAM
verifier is computed here (libpq's PQencryptPasswordConn) and handed to the owner's function
`jjadmin_account_role`, inside the service's own transaction. On SQLite, and on a PostgreSQL
database without login roles, nothing happens.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from jjadmin.services.dbroles.functions import OPERATOR_ROLES

_ENABLED = "SELECT to_regprocedure('jjadmin_account_role(integer,text,boolean)') IS NOT NULL"


def set_role_password(
    session: Session,
    account_id: int | None,
    role: str,
    password: str,
    *,
    only_if_unset: bool = False,
) -> None:
    """Give the account's login role this password (in the session's transaction)."""
    if account_id is None or role not in OPERATOR_ROLES:
        return
    if session.get_bind().dialect.name != "postgresql":
        return
    session.flush()
    conn = session.connection()
    if not conn.execute(text(_ENABLED)).scalar():
        return
    conn.execute(
        text("SELECT jjadmin_account_role(:account, :verifier, :only)"),
        {
            "account": account_id,
            "verifier": scram_verifier(conn.connection.driver_connection, password),
            "only": only_if_unset,
        },
    )


def scram_verifier(dbapi: Any, password: str) -> str:
    """The SCRAM-SHA-256 verifier of `password`, computed on this side of the connection."""
    raw: bytes = dbapi.pgconn.encrypt_password(
        password.encode("utf-8"), b"jjadmin", b"scram-sha-256"
    )
    return raw.decode("ascii")
