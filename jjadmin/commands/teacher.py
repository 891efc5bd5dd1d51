"""`jjadmin teacher`: 教师管理."""

from __future__ import annotations

import typer

app = typer.Typer(help="教师管理", no_args_is_help=True)
