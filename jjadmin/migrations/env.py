"""Alembic environment: the engine comes from jjadmin.db via config.attributes."""

from __future__ import annotations

from alembic import context

import jjadmin.models  # noqa: F401  (registers every table)
from jjadmin.models.base import metadata

config = context.config


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
