"""The models load without SQLAlchemy's PostgreSQL dialect package (start-up, issue 13)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_models_does_not_load_the_postgresql_dialect() -> None:
    code = "import sys, jjadmin.models; print('sqlalchemy.dialects.postgresql' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_declared_postgresql_arguments_are_the_dialects_own() -> None:
    from sqlalchemy.dialects.postgresql.base import PGDialect
    from sqlalchemy.sql.base import DialectKWArgs

    import jjadmin.models  # noqa: F401  (declares them)

    declared = DialectKWArgs._kw_registry["postgresql"]
    assert declared == dict(PGDialect.construct_arguments)
