"""`jjadmin enroll`: 选课管理."""

from __future__ import annotations

import typer

app = typer.Typer(help="选课管理", no_args_is_help=True)
