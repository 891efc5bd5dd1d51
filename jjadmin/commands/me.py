"""`jjadmin me`: 学员个人平台."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jjadmin.commands._filters import values_option
from jjadmin.commands._options import JsonOpt, OverwriteOpt
from jjadmin.rules import labels

app = typer.Typer(help="学员个人平台", no_args_is_help=True)


@app.command("show", epilog="示例：jjadmin me show")
def me_show(
    ctx: typer.Context,
    show_id: Annotated[
        bool, typer.Option("--show-id", help="显示完整身份证号和手机号（需已短信验证）")
    ] = False,
    as_json: JsonOpt = False,
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
    as_json: JsonOpt = False,
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
        Col("material_fee", "教材费用", justify="right"),
        Col("price", "合计", justify="right"),
        Col("remaining", "剩余名额", fmt=lambda v: "不限" if v is None else str(v)),
        Col("selected", "已选", fmt=lambda v: "✓" if v else ""),
    ]


@app.command("courses", epilog="示例: jjadmin me courses --level 全员培训 --keyword 信息技术")
def me_courses(
    ctx: typer.Context,
    period: Annotated[str | None, typer.Option("--period", help="期数（默认当前期）")] = None,
    level: Annotated[str | None, values_option("--level", labels.LEVELS, help="培训级别")] = None,
    hour_type: Annotated[
        str | None, values_option("--hour-type", labels.HOUR_TYPES, help="学时类型")
    ] = None,
    keyword: Annotated[str | None, typer.Option("--keyword", help="课程名称或编号关键字")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="只看我已选的课程（我的课单）")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100000, help="最多显示条数")] = 1000,
    offset: Annotated[int, typer.Option("--offset", min=0, help="跳过前 N 条")] = 0,
    as_json: JsonOpt = False,
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
                "selection_open": market.selection_open,
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
            [*columns[:8], Col("reason", "推荐理由")],
            title="推荐课程",
        )
    out.table(market.items, columns, total=market.total, title=f"{market.period} 期课程超市")
    if market.selection_open:
        out.hint("选课：jjadmin me enroll 课程编号 …")
    else:
        out.hint(f"{market.period} 期的选课时间已结束，不能再自主选课")


@app.command("enroll", epilog="示例: jjadmin me enroll C2601001 C2601002")
def me_enroll(
    ctx: typer.Context,
    courses: Annotated[list[str], typer.Argument(help="课程编号（可多个）")],
    period: Annotated[str | None, typer.Option("--period", help="期数（默认当前期）")] = None,
    as_json: JsonOpt = False,
) -> None:
    """自主选课（仅在选课时间内；“能力提升工程”课程须诊断测评后用 jjadmin ability confirm
    确认；校本培训由学校报读，专项培训须报名：jjadmin me apply）。"""
    from jjadmin.commands._context import output, service_context
    from jjadmin.commands.enroll import render_enroll_report
    from jjadmin.services import enrollment as enrollments

    out = output(ctx, as_json=as_json)
    report = enrollments.enroll_self(service_context(ctx), course_codes=courses, period=period)
    if report.ok and report.created == 0 and report.skipped and not as_json:
        # nothing new: every course asked for is already on the teacher's list
        out.line(f"已选：{'、'.join(courses)} 已在你的课单中（jjadmin me courses --mine）")
        return
    render_enroll_report(out, report, title="选课")


@app.command("apply", epilog="示例: jjadmin me apply ZX2601 --note 已具备参训条件")
def me_apply(
    ctx: typer.Context,
    course: Annotated[str, typer.Argument(help="专项培训项目的课程编号")],
    period: Annotated[
        str | None, typer.Option("--period", help="期数（同一编号有多期项目时）")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="报名说明")] = None,
    as_json: JsonOpt = False,
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


@app.command(
    "declare",
    epilog="示例: jjadmin me declare --year 2026 --project 课堂教学研修 "
    "--institution 广州市教育研究院 "
    "--from 2026-03-02 --to 2026-03-06 --hours 40 --hour-type 专业科目 --attach 结业证书.pdf",
)
def me_declare(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option("--year", help="培训年度，如 2026")] = None,
    project: Annotated[str | None, typer.Option("--project", help="项目名称")] = None,
    institution: Annotated[str | None, typer.Option("--institution", help="培训机构")] = None,
    start: Annotated[str | None, typer.Option("--from", help="开始日期，如 2026-03-02")] = None,
    end: Annotated[str | None, typer.Option("--to", help="结束日期，如 2026-03-06")] = None,
    hours: Annotated[str | None, typer.Option("--hours", help="学时（大于 0，最多 1000）")] = None,
    hour_type: Annotated[
        str | None, typer.Option("--hour-type", help="学时类型：公需科目|专业科目|个人选修")
    ] = None,
    attach: Annotated[
        list[Path] | None,
        typer.Option("--attach", help="证明材料（PDF、JPG、PNG，每个 ≤ 10 MB；可多次给出）"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """个人申报继续教育学时（在“非广州市中小学教师继续教育网”参加的培训），打印申报编号；
    所在学校初审、区终审通过后计入学时。被退回后用 jjadmin credits resubmit 编号 重新提交。"""
    from jjadmin.commands._context import output, service_context
    from jjadmin.commands.credits_declare import declaration_input, render_declared
    from jjadmin.services.credits.declare import declare_credit

    out = output(ctx, as_json=as_json)
    view = declare_credit(
        service_context(ctx),
        learner_no=None,
        values=declaration_input(
            year=year,
            project=project,
            institution=institution,
            start=start,
            end=end,
            hours=hours,
            hour_type=hour_type,
        ),
        attachments=attach or [],
    )
    render_declared(out, view)


@app.command("drop", epilog="示例: jjadmin me drop C2601001")
def me_drop(
    ctx: typer.Context,
    course: Annotated[str, typer.Argument(help="课程编号")],
    period: Annotated[str | None, typer.Option("--period", help="期数（默认当前期）")] = None,
    as_json: JsonOpt = False,
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
    as_json: JsonOpt = False,
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
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
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
    as_json: JsonOpt = False,
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


@app.command(
    "notices", epilog="示例: jjadmin me notices --unread；查看内容：jjadmin notice show 编号"
)
def me_notices(
    ctx: typer.Context,
    unread: Annotated[bool, typer.Option("--unread", help="只看未读的公告")] = False,
    as_json: JsonOpt = False,
) -> None:
    """通知公告：发给本校（及本区、全部单位）的公告。"""
    from jjadmin.commands._context import output, service_context
    from jjadmin.commands.notice import render_list
    from jjadmin.services import notices

    out = output(ctx, as_json=as_json)
    items, total = notices.list_notices(service_context(ctx), unread=unread)
    render_list(out, items, total, title="通知公告")


def _me_complaint() -> typer.Typer:
    from jjadmin.commands.complaint import me_app

    return me_app


app.add_typer(_me_complaint(), name="complaint")


STATE_LABELS = {"active": "已选", "dropped": "已取消", "voided": "已作废"}


@app.command(
    "archive",
    epilog="示例: jjadmin me archive；jjadmin me archive --year 2026；"
    "jjadmin me archive --period 2601（本期课单：状态、缴费、成绩）",
)
def me_archive(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option("--year", help="只看该年度的课程")] = None,
    period: Annotated[str | None, typer.Option("--period", help="只看该期的课程")] = None,
    as_json: JsonOpt = False,
) -> None:
    """我的档案：各期所选课程（状态、缴费、成绩、获得学时），按年度汇总，以及专项培训记录。"""
    from jjadmin.commands._context import output, service_context
    from jjadmin.commands._output import Col
    from jjadmin.services.learner_archive import my_archive

    out = output(ctx, as_json=as_json)
    a = my_archive(service_context(ctx), year=year, period=period)
    if as_json:
        out.emit(
            {
                "learner_no": a.learner_no,
                "name": a.name,
                "items": a.items,
                "total": len(a.items),
                "years": a.years,
                "special_training": a.special_training,
            }
        )
        return
    out.line(f"{a.name}（{a.learner_no}）的学习档案")
    out.table(
        a.years,
        [
            Col("year", "年度"),
            Col("courses", "所选课程", justify="right"),
            Col("passed", "通过", justify="right"),
            Col("credited_hours", "课程获得学时", justify="right"),
            Col("ledger_hours", "年度学时（台账，含申报）", justify="right"),
            Col(
                "ledger_by_type",
                "按学时类型",
                fmt=lambda v: "；".join(f"{k} {x}" for k, x in v.items()),
            ),
        ],
        title="学习结果（年度汇总）",
    )
    out.table(
        a.items,
        [
            Col("period", "期数"),
            Col("course_code", "课程编号", whole=True),
            Col("name", "课程名称"),
            Col("level", "培训级别"),
            Col("hour_type", "学时类型"),
            Col("hours", "学时", justify="right"),
            Col("state", "状态", fmt=lambda v: STATE_LABELS.get(v, v)),
            Col("paid", "缴费", fmt=lambda v: "已缴费" if v else "未缴费"),
            Col("score", "成绩", justify="right"),
            Col("passed", "结果", fmt=lambda v: "" if v is None else ("通过" if v else "未通过")),
            Col("credited_hours", "获得学时", justify="right"),
        ],
        title="学习结果（课程）",
    )
    if a.special_training:
        out.table(
            a.special_training,
            [
                Col("period", "期数"),
                Col("course_code", "课程编号"),
                Col("name", "专项培训项目"),
                Col("state", "状态"),
                Col("applied_at", "报名时间", fmt=lambda v: str(v)[:16].replace("T", " ")),
            ],
            title="专项培训记录",
        )
