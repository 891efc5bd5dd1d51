"""学时 (SPEC §6 Grade, Credits): the ledger every credited hour goes through (`ledger`);
declarations (`declare` → `review` → the ledger), their `queries` and their sheet
(`declaration_import`) are imported from their modules."""

from __future__ import annotations

from jjadmin.services.credits.ledger import (
    HOUR_TYPES,
    SOURCES,
    Credit,
    post_credit,
    post_credits,
    withdraw_credit,
    withdraw_credits,
)

__all__ = [
    "HOUR_TYPES",
    "SOURCES",
    "Credit",
    "post_credit",
    "post_credits",
    "withdraw_credit",
    "withdraw_credits",
]
