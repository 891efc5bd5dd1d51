"""`jjadmin me`: 学员个人平台."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="学员个人平台", no_args_is_help=True)


@app.command("show")
def me_show(
    ctx: typer.Context,
    show_id: Annotated[
        bool, typer.Option("--show-id", help="显示完整身份证号和手机号（需已短信验证）")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="输出一个 JSON 文档（供脚本使用）")
    ] = False,
) -> None:
    """查看本人的教师信息与信息审核记录。"""
    from jjadmin.commands._context import output, service_context
    from jjadmin.commands.teacher import render_detail
    from jjadmin.services.teachers import views as teacher_views

    out = output(ctx, as_json=as_json)
    detail = teacher_views.my_profile(service_context(ctx), show_id=show_id)
    render_detail(out, detail, title="个人信息")


@app.command(
    "update",
    epilog="示例: jjadmin me update --mobile 13800138000 --email a@b.cn；"
    "jjadmin me update --stage 初中 --subject 数学",
)
def me_update(
    ctx: typer.Context,
    mobile: Annotated[str | None, typer.Option("--mobile", help="手机号（直接修改）")] = None,
    email: Annotated[str | None, typer.Option("--email", help="电子邮箱（直接修改）")] = None,
    address: Annotated[str | None, typer.Option("--address", help="通讯地址（直接修改）")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="任教学段（提交审核）")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="任教学科（提交审核）")] = None,
    title: Annotated[str | None, typer.Option("--title", help="职称（提交审核）")] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="姓名（须学校先“重新更新”，提交审核）")
    ] = None,
    id_number: Annotated[
        str | None, typer.Option("--id-number", help="身份证号（须学校先“重新更新”，提交审核）")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="输出一个 JSON 文档（供脚本使用）")
    ] = False,
) -> None:
    """信息更新：手机号、电子邮箱、通讯地址直接修改；任教学段、任教学科、职称提交学校管理员审核。

    姓名和身份证号须学校继续教育管理员先执行“重新更新”（jjadmin teacher reopen）才能修改。
    """
    from jjadmin.commands._context import output, service_context
    from jjadmin.services import teachers
    from jjadmin.services.teachers.views import LABELS

    out = output(ctx, as_json=as_json)
    r = teachers.update_my_info(
        service_context(ctx),
        name=name,
        id_number=id_number,
        mobile=mobile,
        email=email,
        address=address,
        title=title,
        stage=stage,
        subject=subject,
    )
    parts = []
    if r.applied:
        parts.append("已修改" + "、".join(LABELS[k] for k in r.applied))
    if r.submitted:
        parts.append(
            f"已提交{'、'.join(LABELS[k] for k in r.submitted)}的修改（第 {r.round} 轮），"
            "等待学校管理员审核"
        )
    out.result(
        "；".join(parts) or "信息没有变化",
        learner_no=r.learner_no,
        applied=r.applied,
        submitted=r.submitted,
        round=r.round,
        review_state=r.review_state,
    )


def _market_columns() -> list:  # type: ignore[type-arg]
    from jjadmin.commands._output import Col

    return [
        Col("course_code", "课程编号"),
        Col("name", "课程名称"),
        Col("training_level", "培训级别"),
        Col("hour_type", "学时类型"),
        Col("hours", "学时", justify="right"),
        Col("fee", "培训费用", justify="right"),
        Col("remaining", "剩余名额", fmt=lambda v: "不限" if v is None else str(v)),
        Col("selected", "已选", fmt=lambda v: "✓" if v else ""),
    ]


@app.command("courses", epilog="示例: jjadmin me courses --level 全员培训 --keyword 信息技术")
def me_courses(
    ctx: typer.Context,
    period: Annotated[str | None, typer.Option("--period", help="期数（默认当前期）")] = None,
    level: Annotated[str | None, typer.Option("--level", help="培训级别")] = None,
    hour_type: Annotated[str | None, typer.Option("--hour-type", help="学时类型")] = None,
    keyword: Annotated[str | None, typer.Option("--keyword", help="课程名称或编号关键字")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="只看我已选的课程（我的课单）")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100000, help="最多显示条数")] = 1000,
    offset: Annotated[int, typer.Option("--offset", min=0, help="跳过前 N 条")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="输出一个 JSON 文档（供脚本使用）")
    ] = False,
) -> None:
    """课程超市：本期可选的课程（有剩余名额），以及按所缺学时、任教学科和学段推荐的 5–8 门课程。"""
    from jjadmin.commands._context import output, service_context
    from jjadmin.commands._output import to_jsonable
    from jjadmin.services.enrollment import market as selfservice

    out = output(ctx, as_json=as_json)
    market = selfservice.course_market(
        service_context(ctx),
        period=period,
        level=level,
        hour_type=hour_type,
        keyword=keyword,
        mine=mine,
        limit=limit,
        offset=offset,
    )
    columns = _market_columns()
    if as_json:
        out.table(
            market.items,
            columns,
            total=market.total,
            extra={
                "period": market.period,
                "recommended": to_jsonable(market.recommended),
                "hours": to_jsonable(market.hours),
            },
        )
        return
    h = market.hours
    out.line(
        f"{h.year} 年学时：要求 {h.required_hours}，已获得 {h.earned_hours}，"
        f"已选课 {h.enrolled_hours}，尚缺 {h.missing_hours}"
    )
    if market.recommended and not mine:
        from jjadmin.commands._output import Col

        out.table(
            market.recommended,
            [*columns[:6], Col("reason", "推荐理由")],
            title="推荐课程",
        )
    out.table(market.items, columns, total=market.total, title=f"{market.period} 期课程超市")
    out.hint("选课：jjadmin me enroll 课程编号 …")


@app.command("enroll", epilog="示例: jjadmin me enroll C2601001 C2601002")
def me_enroll(
    ctx: typer.Context,
    courses: Annotated[list[str], typer.Argument(help="课程编号（可多个）")],
    period: Annotated[str | None, typer.Option("--period", help="期数（默认当前期）")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="输出一个 JSON 文档（供脚本使用）")
    ] = False,
) -> None:
    """自主选课（仅在选课时间内；“能力提升工程”课程只能在这里由本人选；校本培训由学校报读，
    专项培训须报名：jjadmin me apply）。"""
    from jjadmin.commands._context import output, service_context
    from jjadmin.commands.enroll import render_enroll_report
    from jjadmin.services import enrollment as enrollments

    out = output(ctx, as_json=as_json)
    report = enrollments.enroll_self(service_context(ctx), course_codes=courses, period=period)
    render_enroll_report(out, report, title="选课")


@app.command("apply", epilog="示例: jjadmin me apply ZX2601 --note 已具备参训条件")
def me_apply(
    ctx: typer.Context,
    course: Annotated[str, typer.Argument(help="专项培训项目的课程编号")],
    period: Annotated[
        str | None, typer.Option("--period", help="期数（同一编号有多期项目时）")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="报名说明")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="输出一个 JSON 文档（供脚本使用）")
    ] = False,
) -> None:
    """报名专项培训：经本校校长（或学校管理员）、区培训管理员、承担项目的培训机构依次审核通过后
    获得培训资格。"""
    from jjadmin.commands._context import output, service_context
    from jjadmin.commands.special_training import render_applied
    from jjadmin.services import special_training

    out = output(ctx, as_json=as_json)
    view = special_training.apply_for_training(
        service_context(ctx), course=course, period=period, note=note
    )
    render_applied(out, view)


@app.command("drop", epilog="示例: jjadmin me drop C2601001")
def me_drop(
    ctx: typer.Context,
    course: Annotated[str, typer.Argument(help="课程编号")],
    period: Annotated[str | None, typer.Option("--period", help="期数（默认当前期）")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="输出一个 JSON 文档（供脚本使用）")
    ] = False,
) -> None:
    """取消选课（仅在选课时间内；已缴费的选课不能取消）。"""
    from jjadmin.commands._context import output, service_context
    from jjadmin.commands.enroll import DROP_FIELDS
    from jjadmin.services import enrollment as enrollments

    out = output(ctx, as_json=as_json)
    result = enrollments.drop_own_enrollment(
        service_context(ctx), course_code=course, period=period
    )
    out.record(result, DROP_FIELDS, title="已取消选课")


@app.command("hours", epilog="示例: jjadmin me hours --year 2026")
def me_hours(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option("--year", help="年度（默认今年）")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="输出一个 JSON 文档（供脚本使用）")
    ] = False,
) -> None:
    """本人学时：年度要求、已获得（按学时类型）、已选课未结业、尚缺学时，以及该年度的学时台账。"""
    from jjadmin.commands._context import output, service_context
    from jjadmin.commands._output import Col, to_jsonable
    from jjadmin.commands.credits import LEDGER_COLUMNS, ledger_document
    from jjadmin.services.credits.ledger_queries import my_ledger
    from jjadmin.services.enrollment import market as selfservice

    out = output(ctx, as_json=as_json)
    sc = service_context(ctx)
    summary = selfservice.my_hours(sc, year=year)
    ledger = my_ledger(sc, year=summary.year)
    if as_json:
        out.emit({**to_jsonable(summary), **ledger_document(ledger)})
        return
    out.record(
        summary,
        [
            Col("year", "年度"),
            Col("required_hours", "要求学时"),
            Col("earned_hours", "已获得学时"),
            Col("by_type", "按学时类型", fmt=lambda v: "；".join(f"{k} {x}" for k, x in v.items())),
            Col("enrolled_hours", "已选课（未结业）学时"),
            Col("missing_hours", "尚缺学时"),
        ],
        title="本人学时",
    )
    out.table(ledger.items, LEDGER_COLUMNS, title=f"{summary.year} 年学时台账")


@app.command(
    "certificate",
    epilog="示例: jjadmin me certificate --course C001 --period 2601 --out 学习证明.pdf",
)
def me_certificate(
    ctx: typer.Context,
    course: Annotated[str, typer.Option("--course", help="课程编号")],
    period: Annotated[str, typer.Option("--period", help="期数，如 2601")],
    out_file: Annotated[Path, typer.Option("--out", help="输出 PDF 文件")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="允许覆盖已存在的输出文件")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="输出一个 JSON 文档（供脚本使用）")
    ] = False,
) -> None:
    """打印本人已通过课程的学习证明（PDF，带验证码）。"""
    from jjadmin.commands._context import output, service_context
    from jjadmin.commands.credits import render_certificate
    from jjadmin.exporters.billing import document_format
    from jjadmin.exporters.files import claim_output
    from jjadmin.services.credits.certificates import my_certificate

    out = output(ctx, as_json=as_json)
    claim_output(out_file, overwrite=overwrite)
    document_format(out_file, ("pdf",))
    cert = my_certificate(service_context(ctx), course=course, period=period)
    render_certificate(out, cert, out_file)


@app.command(
    "passwd", epilog="示例：printf '旧密码\\n新密码\\n' | jjadmin me passwd --password-stdin"
)
def me_passwd(
    ctx: typer.Context,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="从标准输入读取：第一行原密码，第二行新密码")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="输出一个 JSON 文档（供脚本使用）")
    ] = False,
) -> None:
    """修改我的登录密码（首次登录的初始密码、被重置的密码须先修改）。"""
    from jjadmin.commands._context import output, service_context
    from jjadmin.commands._prompt import ask_password, read_stdin_line
    from jjadmin.services import passwords

    out = output(ctx, as_json=as_json)
    if password_stdin:
        old, new = read_stdin_line(), read_stdin_line()
    else:
        old, new = ask_password("原密码"), ask_password("新密码")
    passwords.change_password(service_context(ctx), old=old, new=new)
    out.result("密码已修改")
