"""`jjadmin credits`: 学时 — declarations (commands/credits_declare.py) and, with the grades
branch, the ledger and its verifications."""

from __future__ import annotations

import typer

from jjadmin.commands import credits_declare

app = typer.Typer(
    help="学时管理（学时申报与审核、学时记录、年度与周期验证、学习证明）", no_args_is_help=True
)

# 学时申报 (declare, resubmit, review, list, show, import, template)
app.registered_commands.extend(credits_declare.app.registered_commands)
