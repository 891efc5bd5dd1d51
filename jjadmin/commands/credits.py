"""`jjadmin credits`: 学时管理 — the ledger (学时台账), 年度验证, 周期验证, 学习证明 and its check.

The 学时申报 commands (declare, review, list, import, …) register on this same `app` from
their own module (commands/credits_declare.py), imported at the end of this one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._options import JsonOpt, OverwriteOpt, SchoolOpt
from jjadmin.commands._output import Col, Output

app = typer.Typer(
    help="学时管理（学时申报与审核、学时台账、年度验证、周期验证、学习证明）", no_args_is_help=True
)

BAR_WIDTH = 30
SCHOOLS_SHOWN = 30
YearOpt = Annotated[int | None, typer.Option("--year", help="年度，如 2026（默认全部年度）")]
LEDGER_COLUMNS = [
    Col("year", "年度"),
    Col("hour_type", "学时类型"),
    Col("hours", "学时", justify="right"),
    Col("source_label", "来源"),
    Col("title", "项目"),
    Col("training_level", "培训级别"),
    Col("credited_at", "记入时间", fmt=lambda v: str(v or "")[:16].replace("T", " ")),
]


def ledger_document(ledger: Any) -> dict[str, Any]:
    """SPEC §7: {"learner_no", "items": [{"year", "hour_type", "hours", "source"}...],
    "total"} (items also carry the title, level and reference of their source)."""
    from jjadmin.commands._output import to_jsonable

    return {
        "learner_no": ledger.learner_no,
        "name": ledger.name,
        "year": ledger.year,
        "items": [to_jsonable(i) for i in ledger.items],
        "total": ledger.total,
        "by_type": ledger.by_type,
    }


def render_ledger(out: Output, ledger: Any) -> None:
    if out.as_json:
        out.emit(ledger_document(ledger))
        return
    span = f"{ledger.year} 年" if ledger.year is not None else "全部年度"
    out.table(
        ledger.items, LEDGER_COLUMNS, title=f"{ledger.name}（{ledger.learner_no}）学时台账 · {span}"
    )
    kinds = "；".join(f"{k} {v}" for k, v in ledger.by_type.items())
    out.out.print(f"合计 {ledger.total} 学时" + (f"（{kinds}）" if kinds else ""))


@app.command("ledger")
def credits_ledger(
    ctx: typer.Context,
    learner_no: Annotated[str, typer.Argument(help="学号")],
    year: YearOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """学时台账：某教师每一笔记入的学时（年度、学时类型、学时、来源：课程成绩、学时申报、提升工程）。

    示例: jjadmin credits ledger 44012600000001 --year 2026 --json
    """
    out = output(ctx, as_json=as_json)
    from jjadmin.services.credits.ledger_queries import teacher_ledger

    render_ledger(out, teacher_ledger(service_context(ctx), learner_no=learner_no, year=year))


def _verification_command(
    ctx: typer.Context,
    out: Output,
    result: Any,
    out_file: Path | None,
    *,
    title: str,
) -> None:
    if out_file is not None:
        from jjadmin.exporters.verification import write_verification

        n = write_verification(out_file, result, title=title)
        if not out.as_json:
            out.info(f"已导出{title} {n} 名教师（含各校达标率图表）到 {out_file}")
    if out.as_json:
        key = "year" if result.kind == "annual" else "cycle"
        out.emit(
            {
                key: int(result.period) if result.kind == "annual" else result.period,
                "required_hours": result.required_hours,
                "minimums": result.minimums,
                "items": [
                    {
                        "learner_no": r.learner_no,
                        "name": r.name,
                        "school_code": r.school_code,
                        "school_name": r.school_name,
                        key: int(r.period) if result.kind == "annual" else r.period,
                        "total": r.total,
                        "public": r.public,
                        "professional": r.professional,
                        "elective": r.elective,
                        "school_based": r.school_based,
                        "required": r.required,
                        "passed": r.passed,
                    }
                    for r in result.rows
                ],
                "total": result.teachers,
                "passed": result.passed,
                "rate": result.rate,
                "schools": [
                    {
                        "school_code": s.school_code,
                        "school_name": s.school_name,
                        "teachers": s.teachers,
                        "passed": s.passed,
                        "rate": s.rate,
                    }
                    for s in result.schools
                ],
                **({"file": str(out_file)} if out_file is not None else {}),
            }
        )
        return
    _summary(out, result, title)


def _summary(out: Output, result: Any, title: str) -> None:
    from rich.table import Table

    if not result.rows:
        out.err.print("[dim]没有符合条件的教师[/dim]")
        return
    mins = "、".join(
        f"{label} ≥ {result.minimums[key]}"
        for key, label in (
            ("public", "公需科目"),
            ("professional", "专业科目"),
            ("elective", "个人选修"),
            ("school_based", "校本培训"),
        )
        if result.minimums.get(key, "0") != "0"
    )
    out.out.print(
        f"{title}：要求 {result.required_hours} 学时"
        + (f"（{mins}）" if mins else "")
        + f"；教师 {result.teachers} 人，达标 {result.passed} 人，达标率 {result.rate}"
    )
    schools = sorted(result.schools, key=lambda s: (s.passed / s.teachers, s.school_code))
    table = Table(title=f"各校达标率（最低的 {min(len(schools), SCHOOLS_SHOWN)} 所）")
    table.add_column("学校")
    table.add_column("人数", justify="right")
    table.add_column("达标", justify="right")
    table.add_column("达标率", justify="right")
    table.add_column("", no_wrap=True)
    for s in schools[:SCHOOLS_SHOWN]:
        width = round(s.passed * BAR_WIDTH / s.teachers) if s.teachers else 0
        table.add_row(
            f"{s.school_name}（{s.school_code}）",
            str(s.teachers),
            str(s.passed),
            s.rate,
            f"[green]{'█' * width}[/green][dim]{'░' * (BAR_WIDTH - width)}[/dim]",
        )
    out.out.print(table)
    if len(schools) > SCHOOLS_SHOWN:
        out.hint(
            f"共 {len(schools)} 所学校；--out 文件.xlsx 导出全部教师与各校达标率，--json 取全部数据"
        )


def _claim(out_file: Path | None, overwrite: bool) -> None:
    if out_file is not None:
        from jjadmin.exporters.files import claim_output

        claim_output(out_file, overwrite=overwrite)


OutOpt = Annotated[
    Path | None, typer.Option("--out", help="导出 .xlsx（全部教师、各校达标率及图表；需短信验证）")
]


@app.command("annual")
def credits_annual(
    ctx: typer.Context,
    year: Annotated[int, typer.Option("--year", help="验证年度，如 2026")],
    school: SchoolOpt = None,
    out_file: OutOpt = None,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """年度验证：本单位范围内每位在职教师该年度的学时（总学时、公需、专业、个人选修）与是否达标。

    要求学时按 credit-rules.toml 该年度的规定（年内新入职按在岗月数折算、向上取整），总学时与各类
    最低学时都满足为达标；超出部分不结转下一年度。

    示例: jjadmin credits annual --year 2026 --out 年度验证.xlsx
    """
    out = output(ctx, as_json=as_json)
    _claim(out_file, overwrite)
    from jjadmin.services.credits.verification import annual_verification

    sc = service_context(ctx)
    if out_file is not None:
        from jjadmin.services.identity import require_verified

        require_verified(sc, "导出年度验证（含教师姓名与学时）")
    result = annual_verification(sc, year=year, school=school)
    _verification_command(ctx, out, result, out_file, title=f"{year} 年度验证")


@app.command("cycle")
def credits_cycle(
    ctx: typer.Context,
    cycle: Annotated[str, typer.Option("--cycle", help="验证周期，如 2021-2025")],
    school: SchoolOpt = None,
    out_file: OutOpt = None,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """周期验证：本单位范围内每位在职教师一个周期（5 年）的学时与是否达标（周期内入职按年数折算）。

    示例: jjadmin credits cycle --cycle 2021-2025 --school 4401040001 --json
    """
    out = output(ctx, as_json=as_json)
    _claim(out_file, overwrite)
    from jjadmin.services.credits.verification import cycle_verification

    sc = service_context(ctx)
    if out_file is not None:
        from jjadmin.services.identity import require_verified

        require_verified(sc, "导出周期验证（含教师姓名与学时）")
    result = cycle_verification(sc, cycle=cycle, school=school)
    _verification_command(ctx, out, result, out_file, title=f"{result.period} 周期验证")


def render_certificate(out: Output, cert: Any, out_file: Path) -> None:
    from jjadmin.exporters.certificate import write_certificate

    write_certificate(out_file, cert)
    out.result(
        f"已生成学习证明 {out_file}（验证码 {cert.code}）",
        file=str(out_file),
        code=cert.code,
        learner_no=cert.learner_no,
        course_code=cert.course_code,
        period=cert.period,
        hours=cert.hours,
    )


CourseArg = Annotated[str, typer.Option("--course", help="课程编号")]
PeriodArg = Annotated[str, typer.Option("--period", help="期数，如 2601")]
PdfOut = Annotated[Path, typer.Option("--out", help="输出 PDF 文件")]


@app.command("certificate")
def credits_certificate(
    ctx: typer.Context,
    learner_no: Annotated[str, typer.Argument(help="学号")],
    course: CourseArg,
    period: PeriodArg,
    out_file: PdfOut,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """学习证明：为已通过的课程生成 PDF（姓名、学号、学校、课程、期数、学时、学时类型、出具单位、
    日期和验证码；需短信验证）。同一课程再次打印沿用原验证码。

    示例: jjadmin credits certificate 44012600000001 --course C001 --period 2601 --out 证明.pdf
    """
    out = output(ctx, as_json=as_json)
    _claim(out_file, overwrite)
    from jjadmin.exporters.billing import document_format
    from jjadmin.services.credits.certificates import issue_certificate

    document_format(out_file, ("pdf",))
    cert = issue_certificate(
        service_context(ctx), learner_no=learner_no, course=course, period=period
    )
    render_certificate(out, cert, out_file)


@app.command("verify")
def credits_verify(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="学习证明上的验证码")],
    as_json: JsonOpt = False,
) -> None:
    """查验学习证明真伪：验证码存在且该课程学时仍有效为真（退出码 0），否则退出码 4。无需登录。

    示例: jjadmin credits verify ABCD-EFGH-JKMN
    """
    out = output(ctx, as_json=as_json)
    from jjadmin.services.credits.certificates import verify_certificate

    found = verify_certificate(service_context(ctx), code=code)
    out.record(
        found,
        [
            Col("code", "验证码"),
            Col("genuine", "结论", fmt=lambda v: "真实有效" if v else "无效"),
            Col("name", "姓名"),
            Col("learner_no", "学号"),
            Col("school_name", "学校"),
            Col("period", "期数"),
            Col("course_code", "课程编号"),
            Col("course_name", "课程名称"),
            Col("hour_type", "学时类型"),
            Col("hours", "学时"),
            Col("issuer", "培训机构"),
            Col("issued_at", "出具时间", fmt=lambda v: str(v or "")[:10]),
        ],
        title="学习证明查验",
    )


# 学时申报 (declare, resubmit, review, list, show, import, template): commands/credits_declare.py
from jjadmin.commands import credits_declare  # noqa: E402

app.registered_commands.extend(credits_declare.app.registered_commands)
