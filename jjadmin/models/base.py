"""Shared column types and the constraint naming convention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING
metadata: MetaData = SQLModel.metadata


def _declare_postgresql_arguments() -> None:
    """Tell SQLAlchemy which `postgresql_*` arguments tables and indexes accept without
    importing its PostgreSQL dialect package (~0.1–0.2 s at every start on SQLite: its
    __init__ loads every driver module). A `postgresql_where=` on an index made SQLAlchemy
    load the dialect only to validate the keyword. The entry is the dialect's own
    `construct_arguments` (tests/unit/test_models_light.py holds them equal); when the
    dialect loads later it finds the entry filled and uses it.
    """
    from sqlalchemy.sql.base import DialectKWArgConst, DialectKWArgs
    from sqlalchemy.sql.ddl import CreateView
    from sqlalchemy.sql.schema import (
        CheckConstraint,
        ForeignKeyConstraint,
        Index,
        PrimaryKeyConstraint,
        Table,
        UniqueConstraint,
    )

    registry = DialectKWArgs._kw_registry
    if dict.__contains__(registry, "postgresql"):
        return
    dict.__setitem__(
        registry,
        "postgresql",
        {
            Index: {
                "using": False,
                "include": None,
                "where": None,
                "ops": {},
                "concurrently": False,
                "with": {},
                "tablespace": None,
                "nulls_not_distinct": None,
                "invalid": DialectKWArgConst.REFLECTED_ONLY,
            },
            Table: {
                "ignore_search_path": False,
                "tablespace": None,
                "partition_by": None,
                "with_oids": None,
                "with": None,
                "on_commit": None,
                "inherits": None,
                "using": None,
            },
            CheckConstraint: {"not_valid": False},
            ForeignKeyConstraint: {"not_valid": False},
            PrimaryKeyConstraint: {"include": None},
            UniqueConstraint: {"include": None, "nulls_not_distinct": None},
            CreateView: {"with": None},
        },
    )


_declare_postgresql_arguments()


class TZDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC on both backends; read back aware (UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
