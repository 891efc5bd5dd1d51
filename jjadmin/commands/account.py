"""`jjadmin account`: add, list, disable, unlock, passwd, phone, token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from jjadmin.commands._context import output, service_context
from jjadmin.commands._filters import choice_option
from jjadmin.commands._options import JsonOpt, PasswordStdinOpt
from jjadmin.commands._output import Col, Output
from jjadmin.commands._prompt import ask_password, ask_text, read_stdin_line
from jjadmin.rules import labels

if TYPE_CHECKING:
    from jjadmin.services.passwords import PasswordReset

ACCOUNT_ROLES = {k: v for k, v in labels.ROLE.items() if k not in ("teacher", "cron")}

app = typer.Typer(help="管理员账号（实名、绑定手机）", no_args_is_help=True)

ACCOUNT_COLUMNS = [
    Col("username", "用户名"),
    Col("name", "姓名"),
    Col("role", "角色"),
    Col("mobile", "手机"),
    Col("district_code", "区"),
    Col("school_code", "学校代码"),
    Col("institution", "机构"),
    Col("disabled", "停用"),
    Col("locked", "锁定"),
]


@app.command(
    "add",
    epilog="示例：jjadmin account add school01 --role 学校管理员 --name 李老师"
    " --mobile 13800000001 --school 4401040001",
)
def account_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="用户名")],
    role: Annotated[str, choice_option("--role", ACCOUNT_ROLES, help="角色")],
    name: Annotated[str, typer.Option("--name", help="姓名（实名）")],
    mobile: Annotated[str, typer.Option("--mobile", help="绑定手机")],
    district: Annotated[str | None, typer.Option("--district", help="区代码")] = None,
    school: Annotated[str | None, typer.Option("--school", help="学校代码")] = None,
    institution: Annotated[str | None, typer.Option("--institution", help="机构名称")] = None,
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """新增本单位或下级单位的管理员账号。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import accounts

    password = read_stdin_line() if password_stdin else ask_password(f"为 {username} 设置密码")
    view = accounts.add_account(
        service_context(ctx),
        username=username,
        role=role,
        name=name,
        mobile=mobile,
        password=password,
        district=district,
        school=school,
        institution=institution,
    )
    out.result(f"已创建账号 {view.username}（{view.name}）", username=view.username, role=view.role)


TOKEN_COLUMNS = [
    Col("id", "编号", whole=True),
    Col("username", "账号"),
    Col("created_at", "签发时间", fmt=lambda v: f"{v:%Y-%m-%d %H:%M}"),
    Col("expires_at", "有效至", fmt=lambda v: f"{v:%Y-%m-%d}"),
    Col("state", "状态"),
]


@app.command("list", epilog="示例：jjadmin account list --columns 用户名,角色")
def account_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """列出管辖范围内的管理员账号。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import account_listing

    rows = account_listing.list_accounts(service_context(ctx))
    out.table(rows, ACCOUNT_COLUMNS, title="管理员账号")


@app.command("disable", epilog="示例：jjadmin account disable school01")
def account_disable(ctx: typer.Context, username: str, as_json: JsonOpt = False) -> None:
    """停用账号（其会话与令牌立即失效）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import accounts

    accounts.disable_account(service_context(ctx), username)
    out.result(f"已停用账号 {username}", username=username)


@app.command("enable", epilog="示例：jjadmin account enable school01")
def account_enable(ctx: typer.Context, username: str, as_json: JsonOpt = False) -> None:
    """重新启用已停用的账号（停用前的会话与令牌仍然无效）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import accounts

    accounts.enable_account(service_context(ctx), username)
    out.result(f"已启用账号 {username}", username=username)


@app.command("passwd-reset", epilog="示例：jjadmin account passwd-reset school01 --show")
def account_passwd_reset(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="用户名")],
    show: Annotated[
        bool, typer.Option("--show", help="不发短信，在此显示一次新密码（当面告知）")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """为忘记密码的下级（或同单位）管理员重置密码：一次性密码发到其绑定手机，登录后须修改。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import passwords

    reset = passwords.reset_account_password(service_context(ctx), username, show=show)
    render_reset(out, reset)


def render_reset(out: Output, reset: PasswordReset) -> None:
    """A reset's result: the one-time password shown once, or where it was texted."""
    label = reset.learner_no or reset.username
    if reset.password is not None:
        out.result(
            f"已重置 {label} 的密码（只显示这一次，登录后须修改）",
            learner_no=reset.learner_no,
            username=reset.username,
            password=reset.password,
        )
    else:
        out.result(
            f"已重置 {label} 的密码，一次性密码已发送到 {reset.sent_to}（登录后须修改）",
            learner_no=reset.learner_no,
            username=reset.username,
            sent_to=reset.sent_to,
        )


@app.command("profile", epilog="示例：jjadmin account profile --phone 020-83480247 --email a@b.cn")
def account_profile(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="姓名（实名）")] = None,
    gender: Annotated[str | None, typer.Option("--gender", help="性别：男|女")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="电话（固定电话等）")] = None,
    address: Annotated[str | None, typer.Option("--address", help="地址")] = None,
    email: Annotated[str | None, typer.Option("--email", help="电子邮箱")] = None,
    as_json: JsonOpt = False,
) -> None:
    """查看或修改本账号资料（姓名、性别、电话、地址、电子邮箱；绑定手机用 account phone）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import accounts

    sc = service_context(ctx)
    if all(v is None for v in (name, gender, phone, address, email)):
        view = accounts.my_profile(sc)
        title = "本账号资料"
    else:
        view = accounts.update_my_profile(
            sc, name=name, gender=gender, phone=phone, address=address, email=email
        )
        title = "已保存本账号资料"
    out.record(view, PROFILE_FIELDS, title=title)


PROFILE_FIELDS = [
    Col("username", "用户名"),
    Col("name", "姓名"),
    Col("gender", "性别"),
    Col("mobile", "绑定手机"),
    Col("phone", "电话"),
    Col("address", "地址"),
    Col("email", "电子邮箱"),
]


@app.command("unlock", epilog="示例：jjadmin account unlock school01")
def account_unlock(ctx: typer.Context, username: str, as_json: JsonOpt = False) -> None:
    """解锁因连续输错密码被锁定的账号。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import accounts

    accounts.unlock_account(service_context(ctx), username)
    out.result(f"已解锁账号 {username}", username=username)


@app.command(
    "passwd",
    epilog="示例：jjadmin account passwd（按提示输入）；echo 新密码 | jjadmin account"
    " passwd --password-stdin",
)
def account_passwd(
    ctx: typer.Context, password_stdin: PasswordStdinOpt = False, as_json: JsonOpt = False
) -> None:
    """修改本账号密码（--password-stdin：第一行原密码，第二行新密码）。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import passwords

    if password_stdin:
        old, new = read_stdin_line(), read_stdin_line()
    else:
        old, new = ask_password("原密码"), ask_password("新密码")
    passwords.change_password(service_context(ctx), old=old, new=new)
    out.result("密码已修改")


@app.command(
    "phone",
    epilog="示例：jjadmin account phone 13800000002，收到短信后 jjadmin account"
    " phone 13800000002 --code 123456",
)
def account_phone(
    ctx: typer.Context,
    mobile: Annotated[str, typer.Argument(help="新手机号")],
    code: Annotated[str | None, typer.Option("--code", help="新手机收到的验证码")] = None,
    as_json: JsonOpt = False,
) -> None:
    """重新绑定手机：先发送验证码到新号码，再用 --code 确认。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.rules.ids import normalize_mobile
    from jjadmin.services import verification

    sc = service_context(ctx)
    number = normalize_mobile(mobile)
    if code is None:
        sent = verification.send_phone_code(sc, number)
        from jjadmin.commands._prompt import interactive

        if not interactive() or as_json:
            out.result(
                f"验证码已发送到 {sent.mobile_masked}，请用 --code 确认",
                mobile=sent.mobile_masked,
                expires_at=sent.expires_at,
                confirmed=False,
            )
            return
        code = ask_text("新手机收到的验证码", option="--code")
    verification.confirm_phone(sc, number, code)
    out.result("手机已重新绑定", confirmed=True)


@app.command(
    "token",
    epilog="示例：jjadmin account token cron --days 365；jjadmin account token cron --list；"
    "jjadmin account token cron --revoke 3",
)
def account_token(
    ctx: typer.Context,
    username: str,
    days: Annotated[int, typer.Option("--days", help="有效天数")] = 365,
    list_: Annotated[bool, typer.Option("--list", help="列出该账号的访问令牌")] = False,
    revoke: Annotated[int | None, typer.Option("--revoke", help="吊销编号为 ID 的访问令牌")] = None,
    as_json: JsonOpt = False,
) -> None:
    """为账号签发自动化令牌（设置为 JJADMIN_TOKEN；只显示一次），或列出、吊销其令牌。"""
    out = output(ctx, as_json=as_json)
    from jjadmin.services import accounts, tokens

    if list_ and revoke is not None:
        from jjadmin.errors import UsageError

        raise UsageError("--list 与 --revoke 只能选一个")
    if list_:
        rows = tokens.list_tokens(service_context(ctx), username)
        out.table(rows, TOKEN_COLUMNS, title=f"{username} 的访问令牌")
        return
    if revoke is not None:
        view = tokens.revoke_token(service_context(ctx), username, revoke)
        out.result(f"已吊销访问令牌 {view.id}（{view.username}）", id=view.id, state=view.state)
        return

    issued = accounts.issue_token(service_context(ctx), username, days=days)
    if as_json:
        out.emit(
            {"token": issued.token, "username": issued.username, "expires_at": issued.expires_at}
        )
        return
    out.line(issued.token)
    out.hint(f"令牌只显示这一次；有效至 {issued.expires_at:%Y-%m-%d}。用法：export JJADMIN_TOKEN=…")
