"""`jjadmin transfer`: 教师调动."""

from __future__ import annotations

import typer

app = typer.Typer(help="教师调动", no_args_is_help=True)
