"""`jjadmin special-training`: 专项培训 (apply, review, list, show)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._filters import values_option
from jjadmin.commands._options import JsonOpt, LimitOpt, OffsetOpt, SchoolOpt
from jjadmin.commands._output import Col, Output

if TYPE_CHECKING:
    from jjadmin.services.special_training import ApplicationView

app = typer.Typer(help="专项培训（网上报名，学校、区、培训机构依次审核）", no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(help="专项培训申请编号")]

LIST_COLUMNS = [
    Col("id", "编号", justify="right"),
    Col("learner_no", "学号"),
    Col("name", "姓名"),
    Col("school_name", "学校"),
    Col("period", "期数"),
    Col("course_code", "课程编号"),
    Col("course_name", "专项培训项目"),
    Col("state", "状态"),
    Col("applied_at", "报名时间"),
    Col("decided_at", "审核完成时间"),
    Col("reason", "未通过原因"),
]
SHOW_FIELDS = [
    Col("id", "编号"),
    Col("learner_no", "学号"),
    Col("name", "姓名"),
    Col("school_code", "学校代码"),
    Col("school_name", "学校"),
    Col("period", "期数"),
    Col("course_code", "课程编号"),
    Col("course_name", "专项培训项目"),
    Col("charging_unit", "承担机构（收费单位）"),
    Col("state", "状态"),
    Col("note", "报名说明"),
    Col("applied_by", "报名人"),
    Col("applied_at", "报名时间"),
    Col("decided_at", "审核完成时间"),
    Col("reason", "未通过原因"),
]
REVIEW_COLUMNS = [
    Col("stage_label", "审核环节"),
    Col("decision", "结果"),
    Col("reviewer", "审核人"),
    Col("reviewed_at", "审核时间"),
    Col("reason", "原因"),
]


def render_applied(out: Output, view: ApplicationView) -> None:
    """What `apply` prints: the application id (JSON `{"id": n}`), the state on stderr."""
    if out.as_json:
        out.record({"id": view.id}, [])
        return
    out.line(str(view.id))
    out.info(
        f"已提交专项培训报名 #{view.id}：{view.name}（{view.learner_no}）报名 {view.period} 期"
        f"“{view.course_name}”（{view.course_code}），{view.state}"
    )


def render_application(out: Output, view: ApplicationView, *, title: str) -> None:
    """An application and every decision on it (one JSON document with --json)."""
    out.record(view, SHOW_FIELDS, title=title)
    if not out.as_json and view.reviews:
        out.table(view.reviews, REVIEW_COLUMNS, title="审核记录")


@app.command(
    "apply",
    epilog="示例: jjadmin special-training apply ZX2601 --teacher 44012600000001 --note 符合条件",
)
def special_training_apply(
    ctx: typer.Context,
    course: Annotated[str, typer.Argument(help="专项培训项目的课程编号")],
    teacher: Annotated[
        str | None, typer.Option("--teacher", help="代为报名的本校教师学号（学校管理员）")
    ] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="期数（同一编号有多期项目时）")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="报名说明")] = None,
    as_json: JsonOpt = False,
) -> None:
    """专项培训网上报名（教师本人，或学校管理员代本校教师报名），打印申请编号；经学校、区、
    承担项目的培训机构依次审核通过后获得培训资格。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import special_training

    view = special_training.apply_for_training(
        service_context(ctx), course=course, teacher=teacher, period=period, note=note
    )
    render_applied(out, view)


@app.command(
    "review",
    epilog="示例: jjadmin special-training review 12 --approve；"
    "jjadmin special-training review 12 --reject --reason 不符合参训条件",
)
def special_training_review(
    ctx: typer.Context,
    application_id: IdArg,
    approve: Annotated[bool, typer.Option("--approve", help="审核通过")] = False,
    reject: Annotated[
        bool, typer.Option("--reject", help="不通过（需 --reason），申请结束")
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="不通过的原因")] = None,
    as_json: JsonOpt = False,
) -> None:
    """审核专项培训申请：学校（校长或学校管理员）→ 区培训管理员 → 承担项目的培训机构，
    依次审核；最后一级通过即为该教师选课（获得培训资格），任一级不通过则申请结束。"""
    if approve == reject:
        raise typer.BadParameter(
            "请指定 --approve 或 --reject 之一", param_hint="--approve/--reject"
        )
    if reject and not (reason or "").strip():
        raise typer.BadParameter("不通过必须说明原因", param_hint="--reason")
    out = output(ctx, as_json=as_json)
    from jjadmin.services import special_training

    view = special_training.review_application(
        service_context(ctx), application_id, approve=approve, reason=reason
    )
    verdict = "已通过（已获得培训资格）" if view.state == "已通过" else f"现为{view.state}"
    render_application(out, view, title=f"专项培训申请 #{view.id} {verdict}")


@app.command("list", epilog="示例: jjadmin special-training list --state 待区审核 --json")
def special_training_list(
    ctx: typer.Context,
    state: Annotated[
        str | None,
        values_option(
            "--state", ("待学校审核", "待区审核", "待机构审核", "已通过", "未通过"), help="状态"
        ),
    ] = None,
    course: Annotated[str | None, typer.Option("--course", help="课程编号")] = None,
    period: Annotated[str | None, typer.Option("--period", help="期数")] = None,
    school: SchoolOpt = None,
    teacher: Annotated[str | None, typer.Option("--teacher", help="学号")] = None,
    limit: LimitOpt = 1000,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """列出管辖范围内的专项培训申请（学校：本校教师；区：本区学校；培训机构：本机构承担的项目；
    教师：本人），按审核环节（状态）筛选。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import special_training

    rows, total = special_training.list_applications(
        service_context(ctx),
        filters=special_training.ApplicationFilter(
            state=state, course=course, school=school, period=period, learner=teacher
        ),
        limit=limit,
        offset=offset,
    )
    out.table(rows, LIST_COLUMNS, total=total, title="专项培训申请")


@app.command("show", epilog="示例: jjadmin special-training show 12")
def special_training_show(
    ctx: typer.Context, application_id: IdArg, as_json: JsonOpt = False
) -> None:
    """显示一条专项培训申请及每一级审核记录（审核人、时间、原因）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import special_training

    view = special_training.show_application(service_context(ctx), application_id)
    render_application(out, view, title=f"专项培训申请 #{view.id}")
