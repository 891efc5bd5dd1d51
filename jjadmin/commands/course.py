"""`jjadmin course`: 课程管理."""

from __future__ import annotations

import typer

app = typer.Typer(help="课程管理", no_args_is_help=True)
