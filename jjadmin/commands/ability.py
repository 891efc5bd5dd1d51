"""`jjadmin ability`: 能力提升工程 (信息技术应用能力提升工程) — pilots, the diagnostic
questionnaire, recommendations, confirming the courses."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._options import ErrorsToOpt, JsonOpt, OverwriteOpt, PeriodOpt, SheetOpt
from jjadmin.commands._output import Col, Output

if TYPE_CHECKING:
    from jjadmin.services.ability import RecommendationView

app = typer.Typer(
    help="能力提升工程（试点设置、诊断测评、课程推荐、确认选课）", no_args_is_help=True
)

LearnerArg = Annotated[
    str | None,
    typer.Argument(help="学号（管理员为本辖区教师操作时给出；教师本人不必给出）"),
]
PICK_COLUMNS = [
    Col("category", "类别"),
    Col("course_code", "课程编号"),
    Col("course_name", "课程名称"),
    Col("hours", "学时", justify="right"),
    Col("dimension", "能力维度"),
    Col("selected", "已选", fmt=lambda v: "✓" if v else ""),
    Col("reason", "推荐理由"),
]
PILOT_FIELDS = [
    Col("period", "期数"),
    Col("districts", "试点区", fmt=lambda v: "、".join(f"{d['name']}（{d['code']}）" for d in v)),
    Col("subjects", "试点学科", fmt=lambda v: "、".join(v)),
    Col("pilots", "试点数（区 × 学科）"),
    Col("updated_at", "设置时间"),
]


@app.command(
    "config",
    epilog="示例: jjadmin ability config --period 2601 --districts 440103,440104 "
    "--subjects 英语,物理,化学",
)
def ability_config(
    ctx: typer.Context,
    period: PeriodOpt,
    districts: Annotated[str, typer.Option("--districts", help="试点区代码（或区名），逗号分隔")],
    subjects: Annotated[str, typer.Option("--subjects", help="试点学科，逗号分隔")],
    as_json: JsonOpt = False,
) -> None:
    """设置一期的能力提升工程试点区与试点学科（市级培训中心；重新设置即替换）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import ability

    view = ability.configure_pilot(
        service_context(ctx), period=period, districts=districts, subjects=subjects
    )
    out.record(view, PILOT_FIELDS, title=f"已设置 {view.period} 期能力提升工程试点")


@app.command("show", epilog="示例: jjadmin ability show --period 2601 --json")
def ability_show(ctx: typer.Context, period: PeriodOpt, as_json: JsonOpt = False) -> None:
    """查看一期的能力提升工程试点区与试点学科。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import ability

    view = ability.show_pilot(service_context(ctx), period=period)
    out.record(view, PILOT_FIELDS, title=f"{view.period} 期能力提升工程试点")


@app.command("questionnaire", epilog="示例: jjadmin ability questionnaire --out 答题卡.xlsx")
def ability_questionnaire(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="答题卡文件（.xlsx 或 .csv）")],
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """生成诊断测评答题卡：题号、题目、答案（A-D），20 题，每个能力维度 4 题；
    填好“答案”列后用 jjadmin ability assess 提交。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.exporters.files import claim_output
    from jjadmin.exporters.tabular import ExportColumn, write_table
    from jjadmin.rules import ability as rules

    claim_output(out_file, overwrite=overwrite)
    items = rules.questionnaire()
    write_table(
        out_file,
        [
            ExportColumn("number", "题号", width=6),
            ExportColumn("text", "题目", width=80),
            ExportColumn("answer", "答案", text=True, width=8),
        ],
        [{"number": i.number, "text": i.text, "answer": None} for i in items],
        sheet_name="诊断测评",
    )
    out.info(f"答案填 A–D：{rules.ANSWER_LEGEND}")
    out.result(
        f"已生成诊断测评答题卡 {out_file}（{len(items)} 题）", file=str(out_file), items=len(items)
    )


@app.command(
    "assess",
    epilog="示例: jjadmin ability assess --period 2601 --answers 答题卡.xlsx --confirm；"
    "jjadmin ability assess --period 2601 --confirm（确认上一次测评结果）；"
    "jjadmin ability assess 44012600000001 --period 2601 --answers 答题卡.xlsx",
)
def ability_assess(
    ctx: typer.Context,
    period: PeriodOpt,
    learner_no: LearnerArg = None,
    answers: Annotated[
        Path | None,
        typer.Option("--answers", help="填好的答题卡（.xlsx/.xls/.ods/.csv）"),
    ] = None,
    confirm: Annotated[
        bool,
        typer.Option(
            "--confirm", help="确认本次测评结果（不给 --answers：确认上一次的结果，不计次数）"
        ),
    ] = False,
    errors_to: ErrorsToOpt = None,
    overwrite: OverwriteOpt = False,
    sheet: SheetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """诊断测评：按能力维度计分（A–D 记 1–4 分），得分最低的维度为课程主题；每期最多 3 次，
    以最后一次确认的结果为准。答题卡有错时逐行列出（退出码 1），不计入次数。"""
    if answers is None and not confirm:
        raise typer.BadParameter("请给出答题卡 --answers 文件", param_hint="--answers")
    out = output(ctx, as_json=as_json)
    from jjadmin.services import ability

    sc = service_context(ctx)
    if answers is None:
        result = ability.confirm_last_attempt(sc, period=period, learner_no=learner_no)
        _render_assessment(out, result, period, confirmed=True)
        return
    from jjadmin.commands._imports import finish_import
    from jjadmin.importers.ability import ASSESS_IMPORT
    from jjadmin.importers.common import run_import_kind
    from jjadmin.services.results import ImportOptions

    if errors_to is not None:
        from jjadmin.exporters.files import claim_output

        claim_output(errors_to, overwrite=overwrite, inputs=(answers,))
    with out.progress(ASSESS_IMPORT.reading) as progress:
        outcome = run_import_kind(
            sc,
            ASSESS_IMPORT,
            answers,
            options=ImportOptions(False, False),
            sheet=sheet,
            progress=progress,
            period=period,
            learner_no=learner_no,
            confirm=confirm,
        )
    report = outcome.report
    if not report.ok:  # rendered like every import: row, column, value; exit 1
        finish_import(
            out,
            outcome,
            errors_to=errors_to,
            title=ASSESS_IMPORT.title,
            refusal=(
                "答题卡有错误，本次测评未记录（不计入测评次数）",
                "改正后重新提交；--errors-to 错误.xlsx 导出全部行（错误行标红），改好即可提交",
            ),
        )
        return
    _render_assessment(
        out, report.extra["assessment"], period, confirmed=bool(report.extra["confirmed"])
    )


def _render_assessment(out: Output, result: dict, period: str, *, confirmed: bool) -> None:  # type: ignore[type-arg]
    if out.as_json:
        out.emit(result)
        return
    rows = [{"dimension": d, "score": s} for d, s in result["scores"].items()]
    out.table(
        rows,
        [Col("dimension", "能力维度"), Col("score", "得分（4–16）", justify="right")],
        title=f"第 {result['attempt']} 次诊断测评",
    )
    out.line(f"课程主题：{result['topic']}（得分最低的能力维度）")
    if confirmed:
        out.info(f"已确认测评结果；下一步：jjadmin ability recommend --period {period}")
    else:
        out.info(
            f"本次结果未确认（还可再测 {result['attempts_left']} 次）；满意请确认："
            f"jjadmin ability assess --period {period} --confirm"
        )


@app.command(
    "recommend",
    epilog="示例: jjadmin ability recommend --period 2601；"
    "jjadmin ability recommend 44012600000001 --period 2601 --json",
)
def ability_recommend(
    ctx: typer.Context, period: PeriodOpt, learner_no: LearnerArg = None, as_json: JsonOpt = False
) -> None:
    """按诊断测评结果推荐课程：通识必修 8 学时、专业必修 18 学时（按学科学段，优先测评主题的
    能力维度）、校本研修 16 学时（按学科）为必修，直接选定；任意选修列出供选择（8 学时以上），
    合计不少于 50 学时才能确认选课。每门课程附推荐理由。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import ability

    view = ability.recommend_courses(service_context(ctx), period=period, learner_no=learner_no)
    render_recommendation(out, view)


def _pick_json(p: object) -> dict[str, object]:
    return {
        "course_code": p.course_code,  # type: ignore[attr-defined]
        "course_name": p.course_name,  # type: ignore[attr-defined]
        "category": p.category,  # type: ignore[attr-defined]
        "hours": p.hours,  # type: ignore[attr-defined]
        "ability_dimension": p.dimension,  # type: ignore[attr-defined]
        "reason": p.reason,  # type: ignore[attr-defined]
        "selected": p.selected,  # type: ignore[attr-defined]
    }


def render_recommendation(out: Output, view: RecommendationView) -> None:
    if out.as_json:
        out.emit(
            {
                "required": [_pick_json(p) for p in view.required],
                "electives": [_pick_json(p) for p in view.electives],
                "total_required": view.total_required,
                "period": view.period,
                "learner_no": view.learner_no,
                "topic": view.topic,
                "confirmed": view.confirmed,
            }
        )
        return
    out.line(
        f"{view.name}（{view.learner_no}）{view.period} 期  学科：{view.subject}  "
        f"学段：{view.stage}  测评主题：{view.topic}"
    )
    out.table(view.required, PICK_COLUMNS, title=f"必修课程（共 {view.total_required} 学时）")
    if view.missing_categories:
        out.warn(f"本期没有适合的{'、'.join(view.missing_categories)}课程，暂不能确认选课")
    out.table(view.electives, PICK_COLUMNS, title="任意选修课程（8 学时以上，不限门数）")
    out.hint(
        f"确认选课（合计不少于 50 学时）：jjadmin ability confirm --period {view.period} "
        "--electives 课程编号,…"
    )


CONFIRM_COLUMNS = [
    Col("category", "类别"),
    Col("course_code", "课程编号"),
    Col("course_name", "课程名称"),
    Col("hours", "学时", justify="right"),
    Col("required", "必修", fmt=lambda v: "是（不可取消）" if v else ""),
    Col("reason", "理由"),
]


@app.command(
    "confirm",
    epilog="示例: jjadmin ability confirm --period 2601 --electives TS2601E1,TS2601E2",
)
def ability_confirm(
    ctx: typer.Context,
    period: PeriodOpt,
    learner_no: LearnerArg = None,
    electives: Annotated[
        str, typer.Option("--electives", help="任意选修课程编号，逗号分隔（再次确认即替换）")
    ] = "",
    as_json: JsonOpt = False,
) -> None:
    """确认提升工程选课（教师本人，选课时间内）：3 门必修课程与所选任意选修课程合计不少于
    50 学时才能确认，选课即占名额；再次确认只改任意选修课程，必修课程不可取消。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import ability

    result = ability.confirm_selection(
        service_context(ctx), period=period, electives=[electives], learner_no=learner_no
    )
    if out.as_json:
        out.emit(result)
        return
    out.table(
        result.courses,
        CONFIRM_COLUMNS,
        title=f"{result.name}（{result.learner_no}）{result.period} 期提升工程选课，"
        f"共 {result.total_hours} 学时",
    )
    out.info(f"新选 {result.created} 门，取消 {result.dropped} 门")
