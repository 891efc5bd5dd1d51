"""The area packages under services/ that re-export lazily (PEP 562): what mypy reads (the
TYPE_CHECKING imports) and what runs (`EXPORTS`) name the same objects, and their light
modules load without SQLAlchemy."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import subprocess
import sys
from types import ModuleType

import pytest

LAZY_PACKAGES = (
    "jjadmin.services.teachers",
    "jjadmin.services.enrollment",
    "jjadmin.services.credits",
    "jjadmin.services.ability",
    "jjadmin.services.notices",
    "jjadmin.services.special_training",
)
# run on the DB-API driver at start-up (tests/test_read_paths.py runs the commands themselves)
LIGHT_MODULES = (
    "jjadmin.services.teachers.views",
    "jjadmin.services.enrollment.stats",
    "jjadmin.services.identity",
    "jjadmin.services.special_training.queries",  # special-training list/show
    "jjadmin.services.enrollment.listing",  # enroll list
    "jjadmin.services.course_listing",
    "jjadmin.services.period_views",
    "jjadmin.services.school_views",
    "jjadmin.services.history_views",  # batch list, audit list
    "jjadmin.services.transfer_listing",
    "jjadmin.services.bill_listing",
    "jjadmin.services.account_listing",
    "jjadmin.services.billing.special_users",  # special-user list
    "jjadmin.services.billing.close",  # period close, the cron job
    "jjadmin.services.credits.verification",  # credits annual / cycle
    "jjadmin.services.credits.queries",  # credits list / show
    "jjadmin.services.ability.recommend",  # ability recommend
    "jjadmin.services.notices.reads",  # notice list, me notices
    "jjadmin.services.learner_archive",  # me archive
    "jjadmin.services.enrollment.market",  # me courses, me hours
)
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "openpyxl", "pydantic_settings")


def _type_checking_imports(package: ModuleType) -> set[tuple[str, str]]:
    """(module, name) of every `from module import name as name` under `if TYPE_CHECKING:`."""
    tree = ast.parse(inspect.getsource(package))
    found: set[tuple[str, str]] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module is not None
                for alias in stmt.names:
                    assert alias.asname == alias.name, f"{alias.name} is not re-exported as is"
                    found.add((stmt.module, alias.name))
    return found


def _runtime_exports(package: ModuleType) -> set[tuple[str, str]]:
    exports: dict[str, tuple[str, ...]] = package.EXPORTS
    return {
        (module if module.startswith("jjadmin.") else f"{package.__name__}.{module}", name)
        for module, names in exports.items()
        for name in names
    }


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_what_mypy_reads_and_what_runs_name_the_same_objects(name: str) -> None:
    package = importlib.import_module(name)
    declared = _type_checking_imports(package)
    assert declared == _runtime_exports(package)
    for module, attr in sorted(declared):
        assert getattr(package, attr) is getattr(importlib.import_module(module), attr), attr


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_a_name_the_package_does_not_export_is_an_attribute_error(name: str) -> None:
    package = importlib.import_module(name)
    with pytest.raises(AttributeError, match="no_such_service"):
        package.no_such_service  # noqa: B018


def test_the_light_modules_load_without_sqlalchemy() -> None:
    probe = (
        "import importlib, json, sys\n"
        f"for name in {list(LIGHT_MODULES)!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(done.stdout))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
