"""From typer.Context to ServiceContext and Output (built once, in cli.py's callback)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from jjadmin.commands._output import Output

if TYPE_CHECKING:  # keep start-up light: the model tree loads only when a command needs it
    from jjadmin.services.context import ServiceContext


def output(ctx: typer.Context, *, as_json: bool = False) -> Output:
    """Create the invocation's Output and register it so the root handler can use it."""
    root = ctx.find_root()
    out = Output(as_json=as_json, columns=root.meta.get("jjadmin.columns"))
    # the "more rows" footer names --offset only where the command has it
    out.paged = any("--offset" in getattr(p, "opts", ()) for p in ctx.command.params)
    root.meta["jjadmin.output"] = out
    return out


def service_context(ctx: typer.Context, *, create_db: bool = False) -> ServiceContext:
    """The ServiceContext for this invocation (engine opened lazily)."""
    root = ctx.find_root()
    factory = root.meta.get("jjadmin.factory")
    if factory is None:  # pragma: no cover - cli.main always installs it
        raise RuntimeError("jjadmin context factory missing")
    sc: ServiceContext = factory(create_db=create_db)
    return sc


def meta(ctx: typer.Context) -> dict[str, Any]:
    return ctx.find_root().meta
