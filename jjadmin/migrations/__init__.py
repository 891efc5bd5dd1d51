"""Alembic migrations shipped inside the package (so `db init` works when installed)."""
