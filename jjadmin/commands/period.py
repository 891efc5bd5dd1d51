"""`jjadmin period`: 期数管理."""

from __future__ import annotations

import typer

app = typer.Typer(help="期数管理", no_args_is_help=True)
