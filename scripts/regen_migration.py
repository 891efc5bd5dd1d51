"""Regenerate the initial migration from the models (only while nothing has been released).

Usage: .venv/bin/python scripts/regen_migration.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from jjadmin.db import make_engine, migrations_config

VERSIONS = Path(__file__).resolve().parent.parent / "jjadmin" / "migrations" / "versions"


def main() -> None:
    target = VERSIONS / "0001_initial_schema.py"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/gen.db", create=True)
        cfg = migrations_config(engine)
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
        engine.dispose()
    text = target.read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("Create Date:"))
    target.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
