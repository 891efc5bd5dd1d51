"""`jjadmin enroll`: 选课管理 — add, import, drop, list (选课查询), stats (选课统计), template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._filters import choice_option
from jjadmin.commands._imports import run_import_command, template_columns
from jjadmin.commands._options import (
    DryRunOpt,
    ErrorsToOpt,
    FileArg,
    FormatOpt,
    JsonOpt,
    LimitOpt,
    OffsetOpt,
    OutArg,
    OverwriteOpt,
    PeriodOpt,
    SchoolOpt,
    SheetOpt,
    SkipInvalidOpt,
)
from jjadmin.commands._output import Col, Output
from jjadmin.exporters.files import claim_output
from jjadmin.rules import labels

app = typer.Typer(help="选课管理", no_args_is_help=True)

ForceOpt = Annotated[
    bool, typer.Option("--force", help="在选课时间外强制选课（仅市级培训中心，记入审计日志）")
]
CourseOpt = Annotated[str | None, typer.Option("--course", help="课程编号")]
TeacherOpt = Annotated[str | None, typer.Option("--teacher", help="学号")]

STATE_LABELS = {"active": "已选", "dropped": "已删除", "voided": "已作废"}
LIST_COLUMNS = [
    Col("school_name", "学校"),
    Col("learner_no", "学号"),
    Col("name", "姓名"),
    Col("course_code", "课程编号"),
    Col("course_name", "课程名称"),
    Col("training_level", "培训级别"),
    Col("hours", "学时", justify="right"),
    Col("amount", "费用合计", justify="right"),
    Col("state", "选课状态", fmt=lambda v: STATE_LABELS.get(v, str(v))),
    Col("paid", "支付状态", fmt=lambda v: "已缴费" if v else "未缴费"),
    Col("created_at", "选课时间", fmt=lambda v: str(v or "")[:16].replace("T", " ")),
]
DROP_FIELDS = [
    Col("period", "期数"),
    Col("learner_no", "学号"),
    Col("name", "姓名"),
    Col("course_code", "课程编号"),
    Col("course_name", "课程名称"),
    Col("state", "选课状态", fmt=lambda v: STATE_LABELS.get(v, str(v))),
    Col("dropped_at", "删除时间", fmt=lambda v: str(v or "")[:16].replace("T", " ")),
]
BY_LABELS = {"course": "课程", "school": "学校", "district": "区"}
BAR_WIDTH = 40


def render_enroll_report(out: Output, report: Any, *, title: str) -> None:
    """Render a created/skipped/errors report; exit 1 when any row was refused."""
    out.report(report, title=title)
    if report.ok:
        return
    if not out.as_json:
        first = report.sorted_issues()[0]
        count = len(report.issues)
        written = "已跳过错误项，其余已写入" if report.created else "未写入任何选课"
        out.err.print(f"[red]错误：[/red]{first.message}（共 {count} 处错误，{written}）")
    raise typer.Exit(1)


@app.command("add")
def enroll_add(
    ctx: typer.Context,
    period: PeriodOpt = "",
    course: CourseOpt = None,
    teachers: Annotated[
        str | None,
        typer.Option(
            "--teachers", help="学号,学号,… 或文件（每行一个学号，或含“学号”列的 xlsx/csv）"
        ),
    ] = None,
    teacher: TeacherOpt = None,
    courses: Annotated[
        str | None, typer.Option("--courses", help="课程编号,课程编号,…（按教师选课）")
    ] = None,
    force: ForceOpt = False,
    skip_invalid: SkipInvalidOpt = False,
    sheet: SheetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """集体选课：按课程选教师（--course --teachers），或按教师选课程（--teacher --courses）。

    示例: jjadmin enroll add --period 2601 --course C001 --teachers 教师.xlsx
    """
    out = output(ctx, as_json=as_json)
    if course is not None and teacher is not None:
        raise typer.BadParameter("--course 与 --teacher 只能二选一")
    if course is None and teacher is None:
        raise typer.BadParameter("请指定 --course C --teachers … 或 --teacher 学号 --courses …")
    if course is not None and not teachers:
        raise typer.BadParameter("按课程选课需要 --teachers 学号,学号 或 --teachers 文件")
    if teacher is not None and not courses:
        raise typer.BadParameter("按教师选课需要 --courses 课程编号,课程编号")
    from jjadmin.importers.enroll import course_list, learner_list
    from jjadmin.services import enrollment as enrollments

    sc = service_context(ctx)
    if course is not None:
        learners, issues = learner_list(teachers or "", sheet=sheet)
        report = enrollments.add_enrollments(
            sc,
            period=period,
            course=course,
            learners=learners,
            force=force,
            skip_invalid=skip_invalid,
            pre_issues=issues,
        )
    else:
        report = enrollments.add_enrollments(
            sc,
            period=period,
            teacher=teacher,
            courses=course_list(courses or ""),
            force=force,
            skip_invalid=skip_invalid,
        )
    render_enroll_report(out, report, title="选课")


@app.command("import")
def enroll_import(
    ctx: typer.Context,
    file: FileArg,
    period: PeriodOpt = "",
    dry_run: DryRunOpt = False,
    skip_invalid: SkipInvalidOpt = False,
    errors_to: ErrorsToOpt = None,
    overwrite: OverwriteOpt = False,
    sheet: SheetOpt = None,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """从选课表导入选课（学号、课程编号，可选姓名：须与学号一致，用于发现错行）。

    示例: jjadmin enroll import 选课.xlsx --period 2601 --dry-run
    """
    from jjadmin.importers.enroll import ENROLL_IMPORT
    from jjadmin.rules.codes import parse_period_code

    period = parse_period_code(period)  # a malformed period fails before the file is read
    run_import_command(
        ctx,
        ENROLL_IMPORT,
        file,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        errors_to=errors_to,
        sheet=sheet,
        as_json=as_json,
        overwrite=overwrite,
        period=period,
        force=force,
    )


@app.command("drop")
def enroll_drop(
    ctx: typer.Context,
    teacher: Annotated[str, typer.Option("--teacher", help="学号")],
    course: Annotated[str, typer.Option("--course", help="课程编号")],
    period: PeriodOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """删除选课（选课时间内：学校/教师；之后只能由课程的培训机构或市级培训中心）。

    示例: jjadmin enroll drop --period 2601 --teacher 44012600000001 --course C001
    """
    out = output(ctx, as_json=as_json)
    from jjadmin.services import enrollment as enrollments

    result = enrollments.drop_enrollment(
        service_context(ctx), period=period, learner_no=teacher, course_code=course
    )
    out.record(result, DROP_FIELDS, title="已删除选课")


@app.command("list")
def enroll_list(
    ctx: typer.Context,
    period: PeriodOpt = "",
    school: SchoolOpt = None,
    course: CourseOpt = None,
    teacher: TeacherOpt = None,
    state: Annotated[
        str | None, choice_option("--state", labels.ENROLLMENT_STATE, help="选课状态")
    ] = None,
    paid: Annotated[
        bool | None, typer.Option("--paid/--unpaid", help="只看已缴费 / 未缴费")
    ] = None,
    limit: LimitOpt = 1000,
    offset: OffsetOpt = 0,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="导出到文件（.xlsx 或 .csv；需短信验证）")
    ] = None,
    fmt: FormatOpt = None,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """选课查询：按学校、课程、学号、状态筛选本单位范围内的选课。

    示例: jjadmin enroll list --period 2601 --school 4401040001 --out 选课.xlsx
    """
    out = output(ctx, as_json=as_json)
    if out_file is not None:  # never over an existing file unless asked (SPEC §5)
        claim_output(out_file, overwrite=overwrite)
    from jjadmin.services import enrollment as enrollments

    filters = enrollments.EnrollmentFilter(
        school=school, course=course, teacher=teacher, state=state, paid=paid
    )
    sc = service_context(ctx)
    if out_file is not None:
        from jjadmin.exporters.tabular import write_table

        rows = enrollments.export_enrollments(sc, period=period, filters=filters)
        n = write_table(
            out_file,
            _export_columns(),
            (_export_row(v) for v in rows),
            fmt=fmt,  # type: ignore[arg-type]
            sheet_name="选课查询",
        )
        out.result(f"已导出 {n} 条选课到 {out_file}", file=str(out_file), rows=n)
        return
    views, total = enrollments.list_enrollments(
        sc, period=period, filters=filters, limit=limit, offset=offset
    )
    out.table(views, LIST_COLUMNS, total=total, title=f"{period} 期选课")


def _export_columns() -> list[Any]:
    from jjadmin.exporters.tabular import ExportColumn

    return [
        ExportColumn("period", "期数", text=True),
        ExportColumn("district_code", "行政区划", text=True),
        ExportColumn("school_code", "学校代码", text=True),
        ExportColumn("school_name", "学校"),
        ExportColumn("charging_unit", "收费单位"),
        ExportColumn("subject", "任教科目"),
        ExportColumn("learner_no", "学号", text=True),
        ExportColumn("name", "姓名"),
        ExportColumn("course_code", "课程编号", text=True),
        ExportColumn("course_name", "课程名称"),
        ExportColumn("attribute", "课程属性"),
        ExportColumn("training_level", "培训级别"),
        ExportColumn("hours", "学时"),
        ExportColumn("fee", "培训费用", money=True),
        ExportColumn("material_fee", "教材费用", money=True),
        ExportColumn("amount", "合计", money=True),
        ExportColumn("state", "选课状态"),
        ExportColumn("paid", "支付状态"),
        ExportColumn("created_at", "选课时间"),
    ]


def _export_row(v: Any) -> dict[str, Any]:
    from decimal import Decimal

    from jjadmin.clock import local

    return {
        "period": v.period,
        "district_code": v.district_code,
        "school_code": v.school_code,
        "school_name": v.school_name,
        "charging_unit": v.charging_unit,
        "subject": v.subject,
        "learner_no": v.learner_no,
        "name": v.name,
        "course_code": v.course_code,
        "course_name": v.course_name,
        "attribute": v.attribute,
        "training_level": v.training_level,
        "hours": Decimal(v.hours),
        "fee": Decimal(v.fee),
        "material_fee": Decimal(v.material_fee),
        "amount": Decimal(v.amount),
        "state": STATE_LABELS.get(v.state, v.state),
        "paid": "已缴费" if v.paid else "未缴费",
        "created_at": local(v.created_at).replace(tzinfo=None),
    }


@app.command("stats")
def enroll_stats(
    ctx: typer.Context,
    period: PeriodOpt = "",
    by: Annotated[str, choice_option("--by", labels.STATS_BY, help="统计维度")] = "course",
    out_file: Annotated[Path | None, typer.Option("--out", help="导出带柱状图的 .xlsx")] = None,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """选课统计：每门课程、每所学校或每个区的选课人数与金额（终端条形图，--out 导出 xlsx 图表）。

    示例: jjadmin enroll stats --period 2601 --by school --out 选课统计.xlsx
    """
    out = output(ctx, as_json=as_json)
    if out_file is not None:  # never over an existing file unless asked (SPEC §5)
        claim_output(out_file, overwrite=overwrite)
    from jjadmin.services.enrollment import stats as enroll_stats

    result = enroll_stats.enrollment_stats(service_context(ctx), period=period, by=by)
    items = [
        {
            "key": r.key,
            "name": r.name,
            **r.detail,
            "enrollments": r.enrollments,
            "teachers": r.teachers,
            "paid": r.paid,
            "amount": r.amount,
        }
        for r in result.rows
    ]
    if out_file is not None:
        _write_stats(out_file, result, items)
        if not as_json:
            out.info(f"已导出选课统计（含图表）到 {out_file}")
    if as_json:
        out.emit(
            {
                "period": result.period,
                "by": result.by,
                "items": items,
                "total": len(items),
                "enrollments": result.enrollments,
                "teachers": result.teachers,
                "amount": result.amount,
                **({"file": str(out_file)} if out_file is not None else {}),
            }
        )
        return
    _bar_chart(out, result, items)


def _write_stats(path: Path, result: Any, items: list[dict[str, Any]]) -> None:
    from decimal import Decimal

    from jjadmin.exporters.charts import write_chart_workbook
    from jjadmin.exporters.tabular import ExportColumn

    label = BY_LABELS[result.by]
    columns = [
        ExportColumn("key", f"{label}编号" if result.by == "course" else f"{label}代码", text=True),
        ExportColumn("name", f"{label}名称"),
        ExportColumn("enrollments", "选课人次"),
        ExportColumn("teachers", "选课人数"),
        ExportColumn("paid", "已缴费人次"),
        ExportColumn("amount", "金额（元）", money=True),
    ]
    rows = [{**i, "amount": Decimal(i["amount"])} for i in items]
    write_chart_workbook(
        path,
        columns,
        rows,
        category_key="name",
        value_keys=["enrollments"],
        title=f"{result.period} 期选课统计（按{label}）",
        sheet_name=f"按{label}统计",
    )


def _bar_chart(out: Output, result: Any, items: list[dict[str, Any]]) -> None:
    from rich.table import Table

    if not items:
        out.err.print("[dim]没有符合条件的记录[/dim]")
        return
    label = BY_LABELS[result.by]
    top = max(i["enrollments"] for i in items) or 1
    table = Table(title=f"{result.period} 期选课统计（按{label}）")
    table.add_column(label)
    table.add_column("选课人次", justify="right")
    table.add_column("", no_wrap=True)
    table.add_column("人数", justify="right")
    table.add_column("金额", justify="right")
    for i in items:
        width = max(1, round(i["enrollments"] * BAR_WIDTH / top)) if i["enrollments"] else 0
        table.add_row(
            f"{i['name']}（{i['key']}）",
            str(i["enrollments"]),
            f"[cyan]{'█' * width}[/cyan]",
            str(i["teachers"]),
            i["amount"],
        )
    out.out.print(table)
    people = "" if result.teachers is None else f"，{result.teachers} 人"
    out.out.print(f"合计：选课 {result.enrollments} 人次{people}，金额 {result.amount} 元")


@app.command("template", epilog="示例：jjadmin enroll template 选课模板.xlsx")
def enroll_template(
    ctx: typer.Context, file: OutArg, overwrite: OverwriteOpt = False, as_json: JsonOpt = False
) -> None:
    """生成空白选课导入模板（学号、课程编号、姓名）。"""
    out = output(ctx, as_json=as_json)
    claim_output(file, overwrite=overwrite)  # never over an existing file unless asked
    from jjadmin.exporters.templates import write_template
    from jjadmin.importers.enroll import ENROLL_COLUMNS

    write_template(
        file,
        template_columns(ENROLL_COLUMNS, text={"learner_no", "course_code"}),
        title="选课",
        notes=[
            "每行一条选课：学号（14 位继续教育学号）、课程编号（本期课程）。",
            "姓名可不填；填写时必须与学号对应的教师姓名一致，用于发现错行。",
            "已选过的课程会跳过，不会重复选课；名额不足的课程整批拒绝（或加 --skip-invalid）。",
            "“能力提升工程”的课程只能由教师本人选课，不能集体导入。",
            "导入命令：jjadmin enroll import 本文件.xlsx --period 2601（先加 --dry-run 校验）。",
        ],
    )
    out.result(f"已生成模板 {file}", file=str(file))
