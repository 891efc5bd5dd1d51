"""The live command tree: every leaf command (`"bill generate"`) with its parameter names."""

from __future__ import annotations

from functools import cache
from typing import Any

import typer


@cache
def leaf_commands() -> tuple[tuple[str, frozenset[str]], ...]:
    from jjadmin.cli import app

    root = typer.main.get_group(app)
    found: list[tuple[str, frozenset[str]]] = []

    def walk(cmd: Any, path: str) -> None:
        if hasattr(cmd, "list_commands"):
            ctx = cmd.context_class(cmd)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    walk(sub, f"{path} {name}".strip())
            return
        found.append((path, frozenset(p.name or "" for p in cmd.params)))

    walk(root, "")
    return tuple(sorted(found))
