"""`jjadmin teacher`: 教师管理 (add, import, template, list, show, set, archive, review, principal,
unlock, export). Heavy modules are imported inside the commands so start-up stays fast."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from jjadmin.commands import teacher_review
from jjadmin.commands._context import output, service_context
from jjadmin.commands._options import (
    DistrictOpt,
    DryRunOpt,
    ErrorsToOpt,
    FileArg,
    FormatOpt,
    JsonOpt,
    LimitOpt,
    OffsetOpt,
    OutArg,
    OverwriteOpt,
    OwnSchoolOpt,
    SchoolOpt,
    SheetOpt,
    ShowIdOpt,
    SkipInvalidOpt,
    YesOpt,
)
from jjadmin.commands._output import Col, Output, human
from jjadmin.commands.teacher_grants import admin_app, principal_app
from jjadmin.commands.teacher_options import (
    AddressOpt,
    EmailOpt,
    LearnerArg,
    LockedOpt,
    MobileOpt,
    ReviewStateOpt,
    SpecialOpt,
    StageOpt,
    StatusOpt,
    SubjectOpt,
    TitleOpt,
)
from jjadmin.exporters.files import claim_output

if TYPE_CHECKING:
    from jjadmin.importers.common import ImportOutcome
    from jjadmin.services.teachers.views import TeacherDetail, TeacherFilter

app = typer.Typer(help="教师管理", no_args_is_help=True)
app.add_typer(principal_app, name="principal")
app.add_typer(admin_app, name="admin")


ACCOUNT_RULE = (
    "教师登录账号：用户名为继续教育学号，初始密码为身份证号后 6 位（末位 X 为大写）；"
    "连续 10 次输错密码将锁定，由学校管理员用 jjadmin teacher unlock 学号 解锁。"
)


def _review_label(value: Any) -> str:
    from jjadmin.services.teachers.views import REVIEW_LABELS

    return REVIEW_LABELS.get(value, human(value))  # type: ignore[call-overload, no-any-return]


def _round_label(value: Any) -> str:
    from jjadmin.services.teachers.views import ROUND_LABELS

    return ROUND_LABELS.get(value, human(value))


def _changes_text(value: Any) -> str:
    from jjadmin.services.teachers.views import LABELS

    if not value:
        return ""
    return "；".join(f"{LABELS.get(k, k)}：{human(v)}" for k, v in value.items())


LIST_COLUMNS = [
    Col("learner_no", "学号"),
    Col("name", "姓名"),
    Col("id_number", "身份证号"),
    Col("gender", "性别"),
    Col("mobile", "手机号"),
    Col("school_name", "学校"),
    Col("stage", "任教学段"),
    Col("subject", "任教学科"),
    Col("title", "职称"),
    Col("status", "在岗状态"),
    Col("review_state", "审核状态", fmt=_review_label),
    Col("is_special", "特殊用户"),
    Col("locked", "锁定"),
    Col("is_principal", "校长"),
    Col("is_school_admin", "学校管理员"),
]
SHOW_FIELDS = [
    Col("learner_no", "学号"),
    Col("name", "姓名"),
    Col("id_number", "身份证号"),
    Col("gender", "性别"),
    Col("birth_date", "出生日期"),
    Col("mobile", "手机号"),
    Col("school_code", "学校代码"),
    Col("school_name", "学校名称"),
    Col("district_name", "所属区"),
    Col("stage", "任教学段"),
    Col("subject", "任教学科"),
    Col("title", "职称"),
    Col("status", "在岗状态"),
    Col("email", "电子邮箱"),
    Col("address", "通讯地址"),
    Col("review_state", "审核状态", fmt=_review_label),
    Col("is_special", "特殊用户"),
    Col("locked", "账号锁定"),
    Col("is_principal", "校长"),
    Col("is_school_admin", "学校管理员（授权）"),
    Col("updated_at", "更新时间"),
]
ROUND_COLUMNS = [
    Col("round", "轮次", justify="right"),
    Col("state", "结果", fmt=_round_label),
    Col("changes", "提交的修改", fmt=_changes_text),
    Col("before", "修改前", fmt=_changes_text),
    Col("reopened_by", "重新更新"),
    Col("submitted_by", "提交人"),
    Col("submitted_at", "提交时间"),
    Col("reviewed_by", "审核人"),
    Col("reviewed_at", "审核时间"),
    Col("reason", "驳回原因"),
]


def render_detail(out: Output, detail: TeacherDetail, *, title: str) -> None:
    """A teacher record plus its info-review rounds (one JSON document in --json mode)."""
    out.record(detail, SHOW_FIELDS, title=title)
    if not out.as_json and detail.review_rounds:
        out.table(detail.review_rounds, ROUND_COLUMNS, title="信息审核记录")


def _filters(
    *,
    school: str | None,
    district: str | None,
    status: str | None,
    review_state: str | None,
    special: bool,
    locked: bool,
    principal: bool = False,
    school_admin: bool = False,
    name: str | None = None,
) -> TeacherFilter:
    from jjadmin.services.teachers.views import TeacherFilter

    return TeacherFilter(
        school=school,
        district=district,
        status=status,
        review_state=review_state,
        special=special,
        locked=locked,
        principal=principal,
        school_admin=school_admin,
        name=name,
    )


@app.command(
    "add",
    epilog="示例: jjadmin teacher add --name 张三 --id-number 440104199001011234 "
    "--mobile 13800138000 --school 4401040001 --stage 小学 --subject 语文",
)
def teacher_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="姓名")],
    id_number: Annotated[str, typer.Option("--id-number", help="18 位身份证号（末位 X 大写）")],
    mobile: Annotated[str, typer.Option("--mobile", help="手机号")],
    stage: Annotated[str, typer.Option("--stage", help="任教学段")],
    subject: Annotated[str, typer.Option("--subject", help="任教学科")],
    school: OwnSchoolOpt = "",
    title: TitleOpt = None,
    status: StatusOpt = None,
    gender: Annotated[str | None, typer.Option("--gender", help="性别（须与身份证号一致）")] = None,
    birth_date: Annotated[
        str | None, typer.Option("--birth-date", help="出生日期（须与身份证号一致）")
    ] = None,
    email: EmailOpt = None,
    address: AddressOpt = None,
    upsert: Annotated[
        bool, typer.Option("--upsert", help="本校已有该教师时更新其信息（姓名、身份证号除外）")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """新增教师并生成继续教育学号（标准输出只打印新学号）。

    已有学号的教师（在其他学校）请用 jjadmin transfer request 调入，不要重复新增。
    教师登录账号：用户名为继续教育学号，初始密码为身份证号后 6 位（末位 X 为大写）；
    连续 10 次输错密码将锁定，由学校管理员用 jjadmin teacher unlock 学号 解锁。
    """
    out = output(ctx, as_json=as_json)
    from jjadmin.services import teachers

    result = teachers.create_teacher(
        service_context(ctx),
        name=name,
        id_number=id_number,
        mobile=mobile,
        school=school,
        stage=stage,
        subject=subject,
        title=title,
        status=status,
        gender=gender,
        birth_date=birth_date,
        email=email,
        address=address,
        upsert=upsert,
    )
    if as_json:
        out.emit({"learner_no": result.learner_no})
        return
    out.line(result.learner_no)
    if result.created:
        out.info(f"已新增教师，继续教育学号 {result.learner_no}")
        out.hint(ACCOUNT_RULE)
    elif result.changed:
        out.info(f"已更新教师 {result.learner_no}：{'、'.join(result.changed)}")
    else:
        out.info(f"教师 {result.learner_no} 已存在，信息没有变化")


@app.command("import", epilog="示例: jjadmin teacher import 教师.xlsx --dry-run")
def teacher_import(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRunOpt = False,
    skip_invalid: SkipInvalidOpt = False,
    upsert: Annotated[
        bool, typer.Option("--upsert", help="更新本校已有教师的信息（姓名、身份证号除外）")
    ] = False,
    sync: Annotated[
        bool, typer.Option("--sync", help="表中没有的本校在职教师归档为离职（整表同步）")
    ] = False,
    max_changes: Annotated[
        str | None,
        typer.Option("--max-changes", help="--sync 每校最多归档的人数或比例（默认 10%）"),
    ] = None,
    errors_to: ErrorsToOpt = None,
    overwrite: OverwriteOpt = False,
    sheet: SheetOpt = None,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """从教师表导入教师：新教师生成学号；全部校验通过才写入（默认）。

    --sync 会把表中没有的本校在职教师归档为离职：没有终端时须加 --yes。
    """
    if max_changes is not None and not sync:
        raise typer.BadParameter("--max-changes 只能与 --sync 一起使用", param_hint="--max-changes")
    if sync and not dry_run:
        from jjadmin.commands._prompt import confirm

        confirm(
            "按表同步并归档表中没有的教师？",
            yes=yes,
            summary=[
                f"--sync：{file.name} 中没有的本校在职教师将归档为离职"
                f"（每校最多 {max_changes or '10%'}；可先加 --dry-run 查看人数）"
            ],
        )
    from jjadmin.commands._imports import run_import_command
    from jjadmin.importers.teacher import TEACHER_IMPORT

    def archived(out: Output, outcome: ImportOutcome) -> None:
        count = outcome.report.extra.get("archived")
        if count and not out.as_json:
            out.info(f"--sync：{'将' if dry_run else '已'}归档 {count} 名教师为离职")

    run_import_command(
        ctx,
        TEACHER_IMPORT,
        file,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        errors_to=errors_to,
        sheet=sheet,
        as_json=as_json,
        overwrite=overwrite,
        before_report=archived,
        upsert=upsert,
        sync=sync,
        max_changes=max_changes,
    )


@app.command("template", epilog="示例：jjadmin teacher template 教师模板.xlsx（或 .csv）")
def teacher_template(
    ctx: typer.Context, file: OutArg, overwrite: OverwriteOpt = False, as_json: JsonOpt = False
) -> None:
    """生成空白教师导入模板（文本格式的号码列、下拉选项、说明页）。"""
    out = output(ctx, as_json=as_json)
    claim_output(file, overwrite=overwrite)  # never over an existing file unless asked
    from dataclasses import replace

    from jjadmin.commands._imports import template_columns
    from jjadmin.exporters.templates import write_template
    from jjadmin.importers.teacher import teacher_columns

    specs = teacher_columns(service_context(ctx).now.date())
    cols = template_columns(
        specs,
        text={"learner_no", "id_number", "mobile", "school_code"},
        lists={"stage": "任教学段", "subject": "任教学科", "title": "职称", "status": "在岗状态"},
        comments={
            "learner_no": "新教师留空，由系统生成；已有学号的教师可填写以便核对",
            "id_number": "18 位身份证号，末位 X 大写；请勿输入为数字",
            "gender": "可不填；填写时须与身份证号一致",
            "birth_date": "可不填；填写时须与身份证号一致，如 1990-01-01",
            "status": "可不填，默认在职",
        },
    )
    cols = [replace(c, choices=("男", "女")) if c.header == "性别" else c for c in cols]
    write_template(
        file,
        cols,
        title="教师",
        notes=[
            "每行一名教师；红色列名为必填项。身份证号、手机号、学校代码、学号请保持文本格式。",
            "新入校教师若已有继续教育学号（在其他学校），请用 jjadmin transfer request 调入，"
            "不要重复导入。",
            "性别、出生日期由身份证号得出；填写时须与身份证号一致。",
            "本校已有的教师：信息不变则跳过；要更新请加 --upsert（姓名、身份证号须走信息审核）。",
            ACCOUNT_RULE,
            "导入命令：jjadmin teacher import 本文件.xlsx（先加 --dry-run 校验）。",
        ],
    )
    out.result(f"已生成模板 {file}", file=str(file))


@app.command("list", epilog="示例: jjadmin teacher list --school 4401040001 --status 在职")
def teacher_list(
    ctx: typer.Context,
    school: SchoolOpt = None,
    district: DistrictOpt = None,
    status: StatusOpt = None,
    review_state: ReviewStateOpt = None,
    special: SpecialOpt = False,
    locked: LockedOpt = False,
    principal: Annotated[bool, typer.Option("--principal", help="只看校长")] = False,
    school_admin: Annotated[
        bool, typer.Option("--school-admin", help="只看授权的学校继续教育管理员")
    ] = False,
    name: Annotated[str | None, typer.Option("--name", help="姓名包含")] = None,
    limit: LimitOpt = 1000,
    offset: OffsetOpt = 0,
    show_id: ShowIdOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """列出管辖范围内的教师（身份证号、手机号默认打码）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services.teachers import views as teacher_views

    rows, total = teacher_views.list_teachers(
        service_context(ctx),
        filters=_filters(
            school=school,
            district=district,
            status=status,
            review_state=review_state,
            special=special,
            locked=locked,
            principal=principal,
            school_admin=school_admin,
            name=name,
        ),
        limit=limit,
        offset=offset,
        show_id=show_id,
    )
    out.table(rows, LIST_COLUMNS, total=total, title="教师列表")


@app.command("show", epilog="示例：jjadmin teacher show 44012600000001")
def teacher_show(
    ctx: typer.Context, learner_no: LearnerArg, show_id: ShowIdOpt = False, as_json: JsonOpt = False
) -> None:
    """显示一名教师的信息及每一轮信息审核记录。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services.teachers import views as teacher_views

    detail = teacher_views.show_teacher(service_context(ctx), learner_no, show_id=show_id)
    render_detail(out, detail, title="教师信息")


@app.command("set", epilog="示例: jjadmin teacher set 44012600000001 --title 一级教师")
def teacher_set(
    ctx: typer.Context,
    learner_no: LearnerArg,
    mobile: MobileOpt = None,
    title: TitleOpt = None,
    stage: StageOpt = None,
    subject: SubjectOpt = None,
    email: EmailOpt = None,
    address: AddressOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """直接修改教师信息（姓名、身份证号只能经 submit/review 审核修改）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import teachers

    result = teachers.set_teacher(
        service_context(ctx),
        learner_no,
        mobile=mobile,
        title=title,
        stage=stage,
        subject=subject,
        email=email,
        address=address,
    )
    message = (
        f"已修改教师 {result.learner_no}：{'、'.join(result.changed)}"
        if result.changed
        else f"教师 {result.learner_no} 的信息没有变化"
    )
    out.result(message, learner_no=result.learner_no, changed=result.changed)


@app.command("archive", epilog="示例: jjadmin teacher archive 44012600000001 --as 退休")
def teacher_archive(
    ctx: typer.Context,
    learner_nos: Annotated[list[str], typer.Argument(help="一个或多个学号")],
    status: Annotated[str, typer.Option("--as", help="归档类型：离职|退休|在职")],
    as_json: JsonOpt = False,
) -> None:
    """归档教师（离职、退休），或把归档的教师改回在职。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import teachers

    result = teachers.archive_teachers(service_context(ctx), learner_nos, status)
    for no in result.principals_revoked:
        out.warn(f"学号 {no} 已归档为{result.status}，其校长授权已取消")
    for no in result.admins_revoked:
        out.warn(f"学号 {no} 已归档为{result.status}，其学校继续教育管理员授权已取消")
    out.result(
        f"已归档 {len(result.changed)} 名教师为{result.status}"
        + (f"（{len(result.unchanged)} 名原已是{result.status}）" if result.unchanged else ""),
        status=result.status,
        changed=len(result.changed),
        unchanged=len(result.unchanged),
        learner_nos=result.changed,
        principals_revoked=result.principals_revoked,
        admins_revoked=result.admins_revoked,
    )


@app.command(
    "purge",
    epilog="示例：jjadmin teacher purge 44012600000001 --yes（教师须已归档，且无未缴费、"
    "特殊用户或未审结的学时申报）",
)
def teacher_purge(
    ctx: typer.Context,
    learner_no: LearnerArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="确认清除（无终端时必须给出）")] = False,
    as_json: JsonOpt = False,
) -> None:
    """应本人要求清除已归档教师的个人信息（姓名、身份证号、手机号等；学号与学时记录保留）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.commands._prompt import confirm, interactive
    from jjadmin.errors import UsageError
    from jjadmin.services.teachers.purge import purge_teacher

    if not yes:
        if not interactive():
            raise UsageError("清除个人信息不可恢复：请加 --yes 确认")
        confirm(f"清除学号 {learner_no} 的个人信息？此操作不可恢复", yes=False)
    no = purge_teacher(service_context(ctx), learner_no)
    out.result(f"已清除学号 {no} 的个人信息", learner_no=no)


# 信息审核 (reopen, submit, review): commands/teacher_review.py, listed here in the tree
app.registered_commands.extend(teacher_review.app.registered_commands)


@app.command("unlock", epilog="示例：jjadmin teacher unlock 44012600000001")
def teacher_unlock(ctx: typer.Context, learner_no: LearnerArg, as_json: JsonOpt = False) -> None:
    """解锁教师账号（连续 10 次密码错误会锁定；用户名为学号，初始密码为身份证号后 6 位）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import teachers

    teachers.unlock_teacher(service_context(ctx), learner_no)
    out.result(f"已解锁学号 {learner_no} 的账号", learner_no=learner_no)


def _export_rows(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    from jjadmin.services.teachers.views import REVIEW_LABELS

    for row in rows:
        yield (*row[:-2], REVIEW_LABELS.get(row[-2], row[-2]), "是" if row[-1] else "否")  # type: ignore[call-overload]


@app.command(
    "export",
    epilog="示例: jjadmin verify send && jjadmin verify check 123456 && "
    "jjadmin teacher export 教师.xlsx --school 4401040001",
)
def teacher_export(
    ctx: typer.Context,
    file: OutArg,
    school: SchoolOpt = None,
    district: DistrictOpt = None,
    status: StatusOpt = None,
    review_state: ReviewStateOpt = None,
    special: SpecialOpt = False,
    locked: LockedOpt = False,
    fmt: FormatOpt = None,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """导出教师信息（含身份证号、手机号，须先短信验证：jjadmin verify send / check）。"""
    out = output(ctx, as_json=as_json)
    claim_output(file, overwrite=overwrite)  # never over an existing file unless asked
    from jjadmin.exporters.tabular import ExportColumn
    from jjadmin.exporters.xlsx_stream import write_rows
    from jjadmin.services import teachers

    rows = teachers.export_teachers(
        service_context(ctx),
        filters=_filters(
            school=school,
            district=district,
            status=status,
            review_state=review_state,
            special=special,
            locked=locked,
        ),
    )
    text = {"learner_no", "id_number", "mobile", "school_code"}
    headers = {
        **teachers.LABELS,
        "school_name": "学校名称",
        "review_state": "审核状态",
        "is_special": "特殊用户",
    }
    cols = [ExportColumn(k, headers[k], text=k in text) for k in teachers.EXPORT_FIELDS]
    n = write_rows(file, cols, _export_rows(rows), fmt=fmt, sheet_name="教师")  # type: ignore[arg-type]
    out.result(f"已导出 {n} 名教师到 {file}", file=str(file), rows=n)


@app.command("passwd-reset", epilog="示例：jjadmin teacher passwd-reset 44012600000001")
def teacher_passwd_reset(
    ctx: typer.Context,
    learner_no: LearnerArg,
    show: Annotated[
        bool, typer.Option("--show", help="不发短信，在此显示一次新密码（当面告知教师）")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """为忘记密码的教师（含校长）重置密码：一次性密码发到其绑定手机，下次登录须修改。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.commands.account import render_reset
    from jjadmin.services import passwords

    reset = passwords.reset_teacher_password(service_context(ctx), learner_no, show=show)
    render_reset(out, reset)
