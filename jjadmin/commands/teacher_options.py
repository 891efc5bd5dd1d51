"""Options shared by the teacher commands (教师管理, 信息审核, 授权)."""

from __future__ import annotations

from typing import Annotated

import typer

from jjadmin.commands._filters import choice_option, values_option
from jjadmin.rules import labels

LearnerArg = Annotated[str, typer.Argument(help="继续教育学号（14 位）")]
StatusOpt = Annotated[
    str | None, values_option("--status", ("在职", "离职", "退休"), help="在岗状态")
]
ReviewStateOpt = Annotated[
    str | None, choice_option("--review-state", labels.REVIEW_STATE, help="审核状态")
]
TitleOpt = Annotated[str | None, typer.Option("--title", help="职称")]
StageOpt = Annotated[str | None, typer.Option("--stage", help="任教学段")]
SubjectOpt = Annotated[str | None, typer.Option("--subject", help="任教学科")]
MobileOpt = Annotated[str | None, typer.Option("--mobile", help="手机号")]
EmailOpt = Annotated[str | None, typer.Option("--email", help="电子邮箱")]
AddressOpt = Annotated[str | None, typer.Option("--address", help="通讯地址")]
NameOpt = Annotated[str | None, typer.Option("--name", help="姓名")]
IdNumberOpt = Annotated[str | None, typer.Option("--id-number", help="18 位身份证号")]
SpecialOpt = Annotated[bool, typer.Option("--special", help="只看特殊用户")]
LockedOpt = Annotated[bool, typer.Option("--locked", help="只看已锁定账号的教师")]
