"""教师信息审核: 重新更新 (reopen), 代为提交 (submit), 审核 (review) — registered on `teacher`."""

from __future__ import annotations

from typing import Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._options import JsonOpt
from jjadmin.commands.teacher_options import (
    AddressOpt,
    EmailOpt,
    IdNumberOpt,
    LearnerArg,
    MobileOpt,
    NameOpt,
    TitleOpt,
)

app = typer.Typer()


@app.command("reopen", epilog="示例：jjadmin teacher reopen 44012600000001")
def teacher_reopen(ctx: typer.Context, learner_no: LearnerArg, as_json: JsonOpt = False) -> None:
    """重新更新：退回教师信息，让教师在个人平台修改后重新提交审核。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import teachers

    r = teachers.reopen_teacher(service_context(ctx), learner_no)
    out.result(
        f"已退回学号 {r.learner_no} 的信息（第 {r.round} 轮），教师可用 jjadmin me update 提交修改",
        learner_no=r.learner_no,
        round=r.round,
        review_state=r.review_state,
    )


@app.command(
    "submit", epilog="示例: jjadmin teacher submit 44012600000001 --id-number 44010419900101123X"
)
def teacher_submit(
    ctx: typer.Context,
    learner_no: LearnerArg,
    name: NameOpt = None,
    id_number: IdNumberOpt = None,
    mobile: MobileOpt = None,
    email: EmailOpt = None,
    address: AddressOpt = None,
    title: TitleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """代教师提交信息修改（姓名、身份证号等），等待审核（已提交未审核）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import teachers

    r = teachers.submit_change(
        service_context(ctx),
        learner_no,
        name=name,
        id_number=id_number,
        mobile=mobile,
        email=email,
        address=address,
        title=title,
    )
    out.result(
        f"已提交学号 {r.learner_no} 的信息修改（第 {r.round} 轮），等待审核："
        f"jjadmin teacher review {r.learner_no} --approve",
        learner_no=r.learner_no,
        round=r.round,
        review_state=r.review_state,
    )


@app.command(
    "review", epilog="示例: jjadmin teacher review 44012600000001 --reject --reason 证件不符"
)
def teacher_review(
    ctx: typer.Context,
    learner_no: LearnerArg,
    approve: Annotated[bool, typer.Option("--approve", help="审核通过，修改生效")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="驳回（需 --reason）")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="驳回原因")] = None,
    as_json: JsonOpt = False,
) -> None:
    """审核教师提交的信息修改：--approve 生效，--reject --reason 驳回。"""
    if approve == reject:
        raise typer.BadParameter(
            "请指定 --approve 或 --reject 之一", param_hint="--approve/--reject"
        )
    out = output(ctx, as_json=as_json)
    from jjadmin.services import teachers

    r = teachers.review_change(service_context(ctx), learner_no, approve=approve, reason=reason)
    verdict = "审核通过，修改已生效" if approve else "已驳回"
    out.result(
        f"学号 {r.learner_no} 第 {r.round} 轮信息修改{verdict}",
        learner_no=r.learner_no,
        round=r.round,
        state=r.state,
        review_state=r.review_state,
    )
