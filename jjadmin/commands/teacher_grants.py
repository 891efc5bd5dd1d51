"""授权: 校长 (teacher principal) and 学校继续教育管理员 (teacher admin) grants."""

from __future__ import annotations

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._options import JsonOpt
from jjadmin.commands.teacher_options import LearnerArg

principal_app = typer.Typer(help="校长授权（一个学校一位校长）", no_args_is_help=True)
admin_app = typer.Typer(
    help="授权：本校多位教师为学校继续教育管理员，共同分担管理工作", no_args_is_help=True
)


@principal_app.command("grant", epilog="示例：jjadmin teacher principal grant 44012600000001")
def teacher_principal_grant(
    ctx: typer.Context, learner_no: LearnerArg, as_json: JsonOpt = False
) -> None:
    """授权校长：该教师的账号同时可作为本校管理员登录管理平台。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import teachers

    code = teachers.grant_principal(service_context(ctx), learner_no)
    out.result(
        f"已授权学号 {learner_no} 为学校 {code} 的校长", learner_no=learner_no, school_code=code
    )


@principal_app.command("revoke", epilog="示例：jjadmin teacher principal revoke 44012600000001")
def teacher_principal_revoke(
    ctx: typer.Context, learner_no: LearnerArg, as_json: JsonOpt = False
) -> None:
    """取消校长授权（校长调离本校时）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import teachers

    code = teachers.revoke_principal(service_context(ctx), learner_no)
    out.result(
        f"已取消学号 {learner_no} 在学校 {code} 的校长授权",
        learner_no=learner_no,
        school_code=code,
    )


@admin_app.command("grant", epilog="示例: jjadmin teacher admin grant 44012600000001")
def teacher_admin_grant(
    ctx: typer.Context, learner_no: LearnerArg, as_json: JsonOpt = False
) -> None:
    """授权本校教师为学校继续教育管理员（可授权多位，与校长共同分担管理工作）；该教师的账号
    同时可作为本校管理员使用，调离或归档为离职/退休时授权自动取消。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import teachers

    code = teachers.grant_school_admin(service_context(ctx), learner_no)
    out.result(
        f"已授权学号 {learner_no} 为学校 {code} 的学校继续教育管理员",
        learner_no=learner_no,
        school_code=code,
    )


@admin_app.command("revoke", epilog="示例: jjadmin teacher admin revoke 44012600000001")
def teacher_admin_revoke(
    ctx: typer.Context, learner_no: LearnerArg, as_json: JsonOpt = False
) -> None:
    """取消教师的学校继续教育管理员授权。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import teachers

    code = teachers.revoke_school_admin(service_context(ctx), learner_no)
    out.result(
        f"已取消学号 {learner_no} 在学校 {code} 的学校继续教育管理员授权",
        learner_no=learner_no,
        school_code=code,
    )
