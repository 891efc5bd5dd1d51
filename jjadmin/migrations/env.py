"""Alembic environment: the engine comes from jjadmin.db via config.attributes."""

from __future__ import annotations

from typing import Any

from alembic import context

import jjadmin.models  # noqa: F401  (registers every table)
from jjadmin.models.base import metadata

config = context.config


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        raw: Any = None
        if connection.dialect.name == "sqlite":
            # Batch mode changes a table by copying it, dropping the old one and renaming the
            # copy; with foreign keys on, the drop fails as soon as rows elsewhere refer to the
            # table. SQLite's own procedure for schema changes: foreign keys off outside the
            # transaction (the pragma is a no-op inside one), foreign_key_check before commit.
            raw = connection.connection.driver_connection
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=True,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if raw is not None:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
            connection.commit()
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


run_migrations_online()
