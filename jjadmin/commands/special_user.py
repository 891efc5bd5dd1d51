"""`jjadmin special-user`: 特殊用户 — list, history, clear (one teacher, a school's sheet, or
the counter clerk's walk-through), form individual|collective (附表1 / 附表2)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jjadmin.commands import _prompt
from jjadmin.commands._context import output, service_context
from jjadmin.commands._filters import choice_option, values_option
from jjadmin.commands._imports import run_import_command
from jjadmin.commands._options import (
    DistrictOpt,
    DryRunOpt,
    ErrorsToOpt,
    JsonOpt,
    LimitOpt,
    OffsetOpt,
    OverwriteOpt,
    OwnSchoolOpt,
    SchoolOpt,
    SheetOpt,
    SkipInvalidOpt,
)
from jjadmin.commands._output import Col, Output
from jjadmin.rules import labels

app = typer.Typer(help="特殊用户", no_args_is_help=True)
form_app = typer.Typer(help="取消特殊用户申请表（附表1 个人 / 附表2 单位）", no_args_is_help=True)
app.add_typer(form_app, name="form")

LearnerArg = Annotated[str, typer.Argument(help="学号（或身份证号）")]
EvidenceOpt = Annotated[
    str | None,
    typer.Option("--evidence", help="凭证说明，如：本人持有效证件到中心办理"),
]
SealProofOpt = Annotated[
    Path | None,
    typer.Option(
        "--seal-proof", help="盖有学校公章的证明（pdf、jpg 或 png，按内容判断，最大 10 MB）"
    ),
]
OutOpt = Annotated[Path, typer.Option("--out", help="输出文件（.xlsx 或 .pdf）")]
DEFAULT_EVIDENCE = "本人持有效证件到中心办理"


def _when(value: Any) -> str:
    return str(value or "")[:16].replace("T", " ")


LIST_COLUMNS = [
    Col("learner_no", "学号", whole=True),
    Col("name", "姓名"),
    Col("school_code", "学校代码", whole=True),
    Col("school_name", "学校"),
    Col("period", "期数"),
    Col("level", "培训级别"),
    Col("times", "第几次", justify="right"),
    Col("cleared", "状态", fmt=lambda v: "已取消" if v else "特殊用户"),
    Col("enrollments", "未缴费选课", justify="right"),
    Col("flagged_at", "列入时间", fmt=_when),
    Col("cleared_at", "取消时间", fmt=_when),
]
HISTORY_FIELDS = [
    Col("learner_no", "学号", whole=True),
    Col("name", "姓名"),
    Col("school_name", "学校"),
    Col("is_special", "目前是特殊用户"),
    Col("times", "累计被列为特殊用户次数"),
]
ITEM_COLUMNS = [
    Col("period", "期数"),
    Col("level", "培训级别"),
    Col("times", "第几次", justify="right"),
    Col("flagged_at", "列入时间", fmt=_when),
    Col("enrollments", "未缴费课程", fmt=lambda v: "、".join(v or [])),
    Col("cleared_at", "取消时间", fmt=_when),
    Col("cleared_by", "办理人"),
    Col("evidence", "凭证"),
    Col("seal_proof_name", "盖章证明"),
]


@app.command("list", epilog="示例: jjadmin special-user list --school 4401040001 --state open")
def special_user_list(
    ctx: typer.Context,
    school: SchoolOpt = None,
    district: DistrictOpt = None,
    period: Annotated[str | None, typer.Option("--period", help="期数")] = None,
    state: Annotated[
        str | None, choice_option("--state", labels.SPECIAL_USER_STATE, help="状态（默认全部）")
    ] = None,
    level: Annotated[
        str | None, values_option("--level", ("全员培训", "区级培训"), help="培训级别")
    ] = None,
    limit: LimitOpt = 100,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """特殊用户信息：本单位范围内被列为特殊用户的教师（最新在前）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services.billing import special_users

    rows, total = special_users.list_special_users(
        service_context(ctx),
        school=school,
        district=district,
        period=period,
        state=state,
        level=level,
        limit=limit,
        offset=offset,
    )
    out.table(rows, LIST_COLUMNS, total=total, title="特殊用户")


def _show_history(out: Output, history: Any) -> None:
    out.record(history, HISTORY_FIELDS, title="特殊用户记录")
    out.table(history.items, ITEM_COLUMNS, title="每次列入与取消")


@app.command("history", epilog="示例: jjadmin special-user history 44012600000001")
def special_user_history(
    ctx: typer.Context, learner_no: LearnerArg, as_json: JsonOpt = False
) -> None:
    """一名教师每次被列为特殊用户及取消的记录（课程、时间、办理人、凭证）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services.billing import special_users

    history = special_users.special_user_history(service_context(ctx), learner_no)
    if out.as_json:
        out.emit(history)
        return
    _show_history(out, history)


def _cleared(out: Output, r: Any) -> None:
    proof = f"，盖章证明 SHA-256 {r.seal_proof_sha256[:12]}…" if r.seal_proof_sha256 else ""
    out.result(
        f"已取消 {r.name}（{r.learner_no}）的特殊用户（{'、'.join(r.periods)} 期），"
        f"作废未缴费选课 {r.voided} 条{proof}",
        learner_no=r.learner_no,
        name=r.name,
        flags=r.flags,
        periods=r.periods,
        voided=r.voided,
        times=r.times,
        seal_proof_sha256=r.seal_proof_sha256,
    )


def _walk_through(ctx: typer.Context, out: Output) -> None:
    """At the centre's counter: 学号 or ID number → the teacher's flags and history →
    evidence → a sealed proof when needed → confirm → the same clearing service."""
    from jjadmin.errors import Conflict
    from jjadmin.services.billing import clearing, special_users

    sc = service_context(ctx)
    key = _prompt.ask_text("学号或身份证号：", option="学号参数")
    history = special_users.special_user_history(sc, key)
    _show_history(out, history)
    if not history.is_special:
        raise Conflict(f"{history.name}（{history.learner_no}）不是特殊用户，无需取消")
    evidence = _prompt.ask_text("凭证说明：", option="--evidence", default=DEFAULT_EVIDENCE)
    proof = None
    if history.seal_proof_needed:
        out.warn("该教师已不是第一次被列为特殊用户：须凭盖有学校公章的证明及本人有效证件办理")
        proof = Path(_prompt.ask_path("盖章证明文件（pdf/jpg/png）：", option="--seal-proof"))
    _prompt.confirm(f"确认取消 {history.name}（{history.learner_no}）的特殊用户？", yes=False)
    result = clearing.clear_special_user(
        sc, learner_no=history.learner_no, evidence=evidence, seal_proof=proof
    )
    _cleared(out, result)


@app.command(
    "clear",
    epilog="示例: jjadmin special-user clear 44012600000001 --evidence 本人持有效证件到中心办理；"
    "jjadmin special-user clear --file 附表2.xlsx --school 4401040001 --seal-proof 申请.pdf",
)
def special_user_clear(
    ctx: typer.Context,
    learner_no: Annotated[
        str | None,
        typer.Argument(help="学号或身份证号（在终端中省略时逐步引导办理）"),
    ] = None,
    evidence: EvidenceOpt = None,
    seal_proof: SealProofOpt = None,
    period: Annotated[str | None, typer.Option("--period", help="只取消该期的记录")] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="集体取消：本校教师学号名单（可直接用附表2 xlsx）"),
    ] = None,
    school: SchoolOpt = None,
    dry_run: DryRunOpt = False,
    skip_invalid: SkipInvalidOpt = False,
    errors_to: ErrorsToOpt = None,
    overwrite: OverwriteOpt = False,
    sheet: SheetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """取消特殊用户（市级培训中心；区级培训的记录由所在区）：第一次凭本人有效证件，
    第二次起还须盖有学校公章的证明；取消后作废引起该记录的未缴费选课。"""
    if file is not None:
        if learner_no is not None:
            raise typer.BadParameter("集体取消（--file）时不要再给学号")
        if not school or seal_proof is None:
            raise typer.BadParameter("集体取消需要 --school 学校代码 和 --seal-proof 盖章申请文件")
        from jjadmin.importers.special_user import CLEARING_IMPORT

        run_import_command(
            ctx,
            CLEARING_IMPORT,
            file,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            errors_to=errors_to,
            sheet=sheet,
            as_json=as_json,
            overwrite=overwrite,
            school=school,
            seal_proof=seal_proof,
            evidence=evidence,
        )
        return
    out = output(ctx, as_json=as_json)
    if learner_no is None:
        if as_json or not _prompt.interactive():
            raise typer.BadParameter("请给出学号（或 --file 集体取消）；没有终端时不能逐步引导办理")
        _walk_through(ctx, out)
        return
    if evidence is None:
        if as_json or not _prompt.interactive():
            raise typer.BadParameter("需要 --evidence 凭证说明，如：本人持有效证件到中心办理")
        evidence = _prompt.ask_text("凭证说明：", option="--evidence", default=DEFAULT_EVIDENCE)
    from jjadmin.services.billing import clearing

    result = clearing.clear_special_user(
        service_context(ctx),
        learner_no=learner_no,
        evidence=evidence,
        seal_proof=seal_proof,
        period=period,
    )
    _cleared(out, result)


@form_app.command(
    "individual", epilog="示例: jjadmin special-user form individual 44012600000001 --out 附表1.pdf"
)
def special_user_form_individual(
    ctx: typer.Context,
    learner_no: LearnerArg,
    out_file: OutOpt,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """附表1 个人取消特殊用户申请表（已按数据库填好；xlsx 或 PDF；含身份证号，需短信验证）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.exporters.billing import document_format, write_individual_form
    from jjadmin.exporters.files import claim_output
    from jjadmin.services.billing import forms

    document_format(out_file)
    claim_output(out_file, overwrite=overwrite)
    form = forms.individual_form(service_context(ctx), learner_no=learner_no)
    write_individual_form(out_file, form)
    out.result(
        f"已生成 {form.name}（{form.learner_no}）的取消特殊用户申请表 {out_file}",
        file=str(out_file),
        learner_no=form.learner_no,
        courses=len(form.courses),
    )


@form_app.command(
    "collective",
    epilog="示例: jjadmin special-user form collective --school 4401040001 --out 附表2.xlsx",
)
def special_user_form_collective(
    ctx: typer.Context,
    out_file: OutOpt,
    school: OwnSchoolOpt = "",
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """附表2 单位取消特殊用户登记表（本校全部特殊用户；xlsx 可直接用于集体取消；需短信验证）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.exporters.billing import document_format, write_collective_form
    from jjadmin.exporters.files import claim_output
    from jjadmin.services.billing import forms

    document_format(out_file)
    claim_output(out_file, overwrite=overwrite)
    form = forms.collective_form(service_context(ctx), school=school)
    write_collective_form(out_file, form)
    out.result(
        f"已生成 {form.school_name} 单位取消特殊用户登记表 {out_file}（{len(form.lines)} 人）",
        file=str(out_file),
        school_code=form.school_code,
        teachers=len(form.lines),
    )
