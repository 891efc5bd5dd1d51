"""Lazy re-exports (PEP 562) for an area package whose light modules run on the
start-up-critical read path: importing `services.teachers.views` must not load the
SQLAlchemy-heavy rest of `services.teachers` through the package's `__init__`."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """The `__getattr__` of `package`: each name in `exports[module]` comes from
    `package.module` (or from `module` itself when it is an absolute `jjadmin.` path), imported
    when it is first asked for and then kept in the package's namespace."""
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        path = module if module.startswith("jjadmin.") else f"{package}.{module}"
        value = getattr(importlib.import_module(path), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
