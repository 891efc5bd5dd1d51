"""`jjadmin me`: 学员个人平台."""

from __future__ import annotations

import typer

app = typer.Typer(help="学员个人平台", no_args_is_help=True)
