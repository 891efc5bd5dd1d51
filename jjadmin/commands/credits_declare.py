"""`jjadmin credits declare|resubmit|review|list|show|import|template`: 学时申报 (training
outside the platform: 个人申报 → 学校初审 → 区终审 → 已通过, credited to the ledger).

Registered on the `credits` group (commands/credits.py adds this module's commands)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._imports import run_import_command, template_columns
from jjadmin.commands._options import (
    DryRunOpt,
    ErrorsToOpt,
    FileArg,
    JsonOpt,
    LimitOpt,
    OffsetOpt,
    OutArg,
    OverwriteOpt,
    SchoolOpt,
    SheetOpt,
    SkipInvalidOpt,
)
from jjadmin.commands._output import Col, Output

if TYPE_CHECKING:
    from jjadmin.services.credits.declare import DeclarationInput
    from jjadmin.services.credits.queries import DeclarationView

app = typer.Typer(help="学时申报", no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(help="学时申报编号")]
YearOpt = Annotated[int | None, typer.Option("--year", help="培训年度，如 2026")]
ProjectOpt = Annotated[str | None, typer.Option("--project", help="项目名称（课程名称）")]
InstitutionOpt = Annotated[str | None, typer.Option("--institution", help="培训机构")]
FromOpt = Annotated[str | None, typer.Option("--from", help="开始日期，如 2026-03-01")]
ToOpt = Annotated[str | None, typer.Option("--to", help="结束日期，如 2026-03-05")]
HoursOpt = Annotated[str | None, typer.Option("--hours", help="学时（大于 0，最多 1000）")]
HourTypeOpt = Annotated[
    str | None, typer.Option("--hour-type", help="学时类型：公需科目|专业科目|个人选修")
]
AttachOpt = Annotated[
    list[Path] | None,
    typer.Option("--attach", help="证明材料（PDF、JPG、PNG，每个 ≤ 10 MB；可多次给出）"),
]

LIST_COLUMNS = [
    Col("id", "编号", justify="right"),
    Col("learner_no", "学号"),
    Col("name", "姓名"),
    Col("school_name", "学校"),
    Col("year", "培训年度"),
    Col("project", "项目名称"),
    Col("institution", "培训机构"),
    Col("hours", "学时", justify="right"),
    Col("hour_type", "学时类型"),
    Col("state", "审核状态"),
    Col("rounds", "轮次", justify="right"),
]
SHOW_FIELDS = [
    Col("id", "编号"),
    Col("learner_no", "学号"),
    Col("name", "姓名"),
    Col("school_name", "学校"),
    Col("year", "培训年度"),
    Col("project", "项目名称"),
    Col("institution", "培训机构"),
    Col("start_date", "开始日期"),
    Col("end_date", "结束日期"),
    Col("hours", "学时"),
    Col("hour_type", "学时类型"),
    Col("proof", "证明材料说明"),
    Col("state", "审核状态"),
    Col("rounds", "第几轮申报"),
    Col("declared_by", "申报人"),
    Col("declared_at", "申报时间"),
    Col("updated_at", "最近更新"),
]
REVIEW_COLUMNS = [
    Col("round", "轮次", justify="right"),
    Col("review_level_label", "审核"),
    Col("decision", "结果"),
    Col("reviewer", "审核人"),
    Col("reviewed_at", "审核时间"),
    Col("reason", "审核意见"),
]
FILE_COLUMNS = [
    Col("round", "轮次", justify="right"),
    Col("name", "文件名"),
    Col("size", "大小（字节）", justify="right"),
    Col("sha256", "SHA-256"),
]


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    from jjadmin.rules.ids import parse_date

    return parse_date(value)


def declaration_input(
    *,
    year: int | None,
    project: str | None,
    institution: str | None,
    start: str | None,
    end: str | None,
    hours: str | None,
    hour_type: str | None,
) -> DeclarationInput:
    from jjadmin.services.credits.declare import DeclarationInput

    return DeclarationInput(
        year=year,
        project=project,
        institution=institution,
        start=_date(start, "--from"),
        end=_date(end, "--to"),
        hours=hours,
        hour_type=hour_type,
    )


def render_declared(out: Output, view: DeclarationView) -> None:
    """What `declare` prints: the id (JSON `{"id": n}`), the state on stderr."""
    if out.as_json:
        out.emit({"id": view.id})
        return
    out.line(str(view.id))
    files = f"，证明材料 {len(view.attachments)} 个" if view.attachments else ""
    out.info(
        f"已提交学时申报 #{view.id}：{view.name}（{view.learner_no}）{view.year} 年"
        f"“{view.project}” {view.hours} 学时（{view.hour_type}）{files}，{view.state}"
    )


def render_declaration(out: Output, view: DeclarationView, *, title: str) -> None:
    """A declaration, every review round and its proofs (one JSON document with --json)."""
    out.record(view, SHOW_FIELDS, title=title)
    if out.as_json:
        return
    if view.reviews:
        out.table(view.reviews, REVIEW_COLUMNS, title="审核记录（每一轮的初审、终审）")
    if view.attachments:
        out.table(view.attachments, FILE_COLUMNS, title="证明材料")


@app.command(
    "declare",
    epilog="示例: jjadmin credits declare 44012600000001 --year 2026 --project 课堂教学研修 "
    "--institution 广州市教育研究院 --from 2026-03-02 --to 2026-03-06 --hours 40 "
    "--hour-type 专业科目 --attach 结业证书.pdf",
)
def credits_declare(
    ctx: typer.Context,
    learner_no: Annotated[str, typer.Argument(help="教师学号")],
    year: YearOpt = None,
    project: ProjectOpt = None,
    institution: InstitutionOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    hours: HoursOpt = None,
    hour_type: HourTypeOpt = None,
    attach: AttachOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """新增学时申报（学校管理员代本校教师申报；教师本人用 jjadmin me declare），打印申报编号；
    申报待学校初审，再由区终审，通过后计入学时。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services.credits.declare import declare_credit

    view = declare_credit(
        service_context(ctx),
        learner_no=learner_no,
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


@app.command(
    "resubmit",
    epilog="示例: jjadmin credits resubmit 12 --hours 32 --attach 盖章证明.pdf",
)
def credits_resubmit(
    ctx: typer.Context,
    declaration_id: IdArg,
    year: YearOpt = None,
    project: ProjectOpt = None,
    institution: InstitutionOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    hours: HoursOpt = None,
    hour_type: HourTypeOpt = None,
    attach: AttachOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """重新提交已退回的学时申报（只改给出的项，可补充证明材料），成为新的一轮，待学校初审。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services.credits.declare import resubmit_declaration

    view = resubmit_declaration(
        service_context(ctx),
        declaration_id,
        changes=declaration_input(
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
    render_declaration(out, view, title=f"学时申报 #{view.id} 第 {view.rounds} 轮，{view.state}")


@app.command(
    "review",
    epilog="示例: jjadmin credits review 12 --approve；"
    "jjadmin credits review 12 --return --reason 请补充盖章的学习证明",
)
def credits_review(
    ctx: typer.Context,
    declaration_id: IdArg,
    approve: Annotated[bool, typer.Option("--approve", help="通过")] = False,
    return_: Annotated[bool, typer.Option("--return", help="退回重新申报（需 --reason）")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="审核意见：退回的原因")] = None,
    as_json: JsonOpt = False,
) -> None:
    """审核学时申报：学校继续教育管理员初审，区培训管理员终审；终审通过即计入教师学时。
    退回必须写明原因，教师修改后重新提交。"""
    if approve == return_:
        raise typer.BadParameter(
            "请指定 --approve 或 --return 之一", param_hint="--approve/--return"
        )
    if return_ and not (reason or "").strip():
        raise typer.BadParameter("退回必须写明原因", param_hint="--reason")
    out = output(ctx, as_json=as_json)
    from jjadmin.services.credits.review import review_declaration

    view = review_declaration(service_context(ctx), declaration_id, approve=approve, reason=reason)
    verdict = "已通过（已计入学时）" if view.state == "已通过" else f"现为{view.state}"
    render_declaration(out, view, title=f"学时申报 #{view.id} {verdict}")


@app.command("list", epilog="示例: jjadmin credits list --year 2026 --state 待初审 --json")
def credits_list(
    ctx: typer.Context,
    year: YearOpt = None,
    hour_type: HourTypeOpt = None,
    state: Annotated[
        str | None, typer.Option("--state", help="审核状态：待初审|待终审|已通过|已退回")
    ] = None,
    project: Annotated[str | None, typer.Option("--project", help="项目名称（包含）")] = None,
    institution: Annotated[
        str | None, typer.Option("--institution", help="培训机构（包含）")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="学员姓名（包含）")] = None,
    learner: Annotated[str | None, typer.Option("--learner", help="学号")] = None,
    school: SchoolOpt = None,
    limit: LimitOpt = 1000,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """列出管辖范围内的学时申报（学校：本校教师；区：本区学校；教师：本人），
    可按培训年度、学时类型、审核状态、项目名称、培训机构、姓名、学号筛选。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services.credits.queries import DeclarationFilter, list_declarations

    rows, total = list_declarations(
        service_context(ctx),
        filters=DeclarationFilter(
            year=year,
            hour_type=hour_type,
            state=state,
            project=project,
            institution=institution,
            name=name,
            learner=learner,
            school=school,
        ),
        limit=limit,
        offset=offset,
    )
    out.table(rows, LIST_COLUMNS, total=total, title="学时申报")


@app.command("show", epilog="示例: jjadmin credits show 12")
def credits_show(ctx: typer.Context, declaration_id: IdArg, as_json: JsonOpt = False) -> None:
    """显示一条学时申报：每一轮的申报信息、初审和终审记录（审核人、时间、意见）与证明材料。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services.credits.queries import show_declaration

    view = show_declaration(service_context(ctx), declaration_id)
    render_declaration(out, view, title=f"学时申报 #{view.id}")


@app.command(
    "proof", epilog="示例: jjadmin credits proof 12 3 --out 证书.pdf（编号见 credits show 12）"
)
def credits_proof(
    ctx: typer.Context,
    declaration_id: IdArg,
    attachment_id: Annotated[int, typer.Argument(help="证明材料编号（credits show 列出）")],
    out_file: Annotated[Path, typer.Option("--out", help="保存到的文件")],
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """下载学时申报的一份证明材料（查看附件），原样保存，不打开、不显示；需短信验证。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.exporters.files import claim_output
    from jjadmin.services.credits.queries import fetch_proof

    claim_output(out_file, overwrite=overwrite)
    proof = fetch_proof(service_context(ctx), declaration_id, attachment_id)
    out_file.write_bytes(proof.content)
    out.result(
        f"已保存证明材料 {proof.name} 到 {out_file}",
        file=str(out_file),
        name=proof.name,
        size=proof.size,
        sha256=proof.sha256,
    )


@app.command("import", epilog="示例: jjadmin credits import 学时申报.xlsx --dry-run")
def credits_import(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRunOpt = False,
    skip_invalid: SkipInvalidOpt = False,
    errors_to: ErrorsToOpt = None,
    overwrite: OverwriteOpt = False,
    sheet: SheetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """从学时申报表批量申报（学号、培训年度、项目名称、培训机构、开始日期、结束日期、学时、
    学时类型、证明材料），每行一条待初审的申报；全部有效才写入（或 --skip-invalid）。"""
    from jjadmin.importers.declaration import DECLARATION_IMPORT

    run_import_command(
        ctx,
        DECLARATION_IMPORT,
        file,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        errors_to=errors_to,
        sheet=sheet,
        as_json=as_json,
        overwrite=overwrite,
    )


@app.command("template", epilog="示例: jjadmin credits template 学时申报模板.xlsx")
def credits_template(
    ctx: typer.Context, file: OutArg, overwrite: OverwriteOpt = False, as_json: JsonOpt = False
) -> None:
    """生成空白学时申报导入模板（已存在的文件须加 --overwrite 才覆盖）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.exporters.files import claim_output
    from jjadmin.exporters.templates import write_template
    from jjadmin.importers.declaration import DECLARATION_COLUMNS

    claim_output(file, overwrite=overwrite)
    write_template(
        file,
        template_columns(
            DECLARATION_COLUMNS, text={"learner_no", "year"}, lists={"hour_type": "学时类型"}
        ),
        title="学时申报",
        notes=[
            "每行一条在“非广州市中小学教师继续教育网”参加的培训：学号为 14 位继续教育学号。",
            "培训年度为四位年份；开始、结束日期须在该年度内，且培训已结束（如 2026-03-15）。",
            "学时大于 0、最多 1000，可保留一位小数；学时类型：公需科目、专业科目、个人选修。",
            "证明材料填写证明的名称或存放处；证明文件（PDF、JPG、PNG）请用 "
            "jjadmin credits declare --attach 提交。",
            "导入后每条申报待学校初审，再由区终审；导入命令：jjadmin credits import 本文件.xlsx"
            "（先加 --dry-run 校验）。",
        ],
    )
    out.result(f"已生成模板 {file}", file=str(file))
