"""Shared Annotated option aliases (hf style)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="输出一个 JSON 文档（供脚本使用）")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="跳过确认")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="只校验并报告，不写入")]
SkipInvalidOpt = Annotated[
    bool, typer.Option("--skip-invalid", help="写入有效行，跳过错误行（仍以退出码 1 结束）")
]
ErrorsToOpt = Annotated[
    Path | None, typer.Option("--errors-to", help="把被拒绝的行写入该 .xlsx，改正后可直接再导入")
]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="允许覆盖已存在的输出文件")]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="工作表名称（默认第一个可见工作表）")]
FileArg = Annotated[Path, typer.Argument(help="文件（.xlsx 或 .csv）")]
OutArg = Annotated[Path, typer.Argument(help="输出文件（.xlsx 或 .csv）")]
FormatOpt = Annotated[str | None, typer.Option("--format", help="xlsx 或 csv（默认按扩展名）")]
LimitOpt = Annotated[int, typer.Option("--limit", min=1, max=100000, help="最多显示条数")]
OffsetOpt = Annotated[int, typer.Option("--offset", min=0, help="跳过前 N 条")]


def _current_period(ctx: typer.Context, value: str | None) -> str:
    """`--period` left out: the current period (its selection window holds now, else the
    latest begun), the same default everywhere (issue 13)."""
    if value:
        return value
    if ctx.resilient_parsing:  # shell completion: no database
        return ""
    from jjadmin.commands._context import service_context
    from jjadmin.services.current_period import current_period

    return current_period(service_context(ctx))


PeriodOpt = Annotated[
    str,
    typer.Option(
        "--period",
        help="期数，如 2601（默认当前期数）",
        callback=_current_period,
        show_default=False,
    ),
]


def _own_school(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str:
    """A school option left out by a school's admin: its own school (the only one it may
    name). Anyone else still has to give it (exit 2, as a missing option)."""
    if value:
        return value
    if ctx.resilient_parsing:
        return ""
    from jjadmin.commands._context import service_context
    from jjadmin.errors import UsageError
    from jjadmin.services import identity

    who = identity.whoami(service_context(ctx))
    if who.school_code and (who.role == "school" or who.is_principal or who.is_school_admin):
        return who.school_code
    option = (param.opts or ["--school"])[0]
    raise UsageError(f"缺少选项 {option}", hint=f"用 {option} 学校代码 指定学校")


OwnSchoolOpt = Annotated[
    str,
    typer.Option(
        "--school", help="学校代码（学校管理员默认本校）", callback=_own_school, show_default=False
    ),
]
OwnSchoolToOpt = Annotated[
    str,
    typer.Option(
        "--to", help="调入学校代码（学校管理员默认本校）", callback=_own_school, show_default=False
    ),
]
SchoolOpt = Annotated[str | None, typer.Option("--school", help="学校代码")]
DistrictOpt = Annotated[str | None, typer.Option("--district", help="区代码")]
PasswordStdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="从标准输入读取密码（一行）")
]
ShowIdOpt = Annotated[bool, typer.Option("--show-id", help="显示完整身份证号（需已短信验证）")]
