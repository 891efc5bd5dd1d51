"""Operator accounts: bootstrap, add, list, disable, unlock, password, phone, tokens."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from jjadmin.errors import (
    Conflict,
    InputRejected,
    NotFound,
    PermissionDenied,
    UsageError,
)
from jjadmin.models import Account, AuthToken, District, School, Teacher
from jjadmin.rules.enums import districts
from jjadmin.rules.ids import mask_mobile, normalize_mobile
from jjadmin.services import audit
from jjadmin.services.account_listing import AccountView as AccountView
from jjadmin.services.auth import hash_password, token_digest
from jjadmin.services.context import BOOTSTRAP, ROLE_NAMES, Actor, ServiceContext
from jjadmin.services.dbroles.hook import set_role_password
from jjadmin.services.identity import WhoAmI as WhoAmI  # re-exported
from jjadmin.services.identity import whoami as whoami  # re-exported
from jjadmin.services.scope import OUT_OF_SCOPE, get_school, unit_clause

OPERATOR_ROLES = ("city", "district", "institution", "school", "system")
MIN_PASSWORD = 8


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputRejected(f"密码至少 {MIN_PASSWORD} 位")
    if password.isdigit() or password.isalpha():
        raise InputRejected("密码需同时包含字母和数字")


def seed_districts(session: Session) -> int:
    """Insert the city's districts (idempotent); returns how many were added."""
    have = set(session.execute(select(col(District.code))).scalars())
    added = 0
    for code, name in districts().items():
        if code not in have:
            session.add(District(code=code, name=name))
            added += 1
    return added


def has_accounts(ctx: ServiceContext) -> bool:
    with ctx.reading() as session:
        return bool(session.execute(select(func.count()).select_from(Account)).scalar_one())


def bootstrap(
    ctx: ServiceContext,
    *,
    username: str | None,
    name: str | None,
    mobile: str | None,
    password: str | None,
) -> str | None:
    """Seed districts; create the first city account when none exists. Returns its username."""
    with ctx.transaction() as session:
        seed_districts(session)
        if session.execute(select(func.count()).select_from(Account)).scalar_one():
            if username and not _exists(session, username):
                raise Conflict(
                    f"数据库已初始化且已有账号，未创建 {username.strip()}",
                    hint="由已有的管理员用 jjadmin account add 添加账号",
                )
            return None
        if not username:
            raise UsageError(
                "首次初始化需要创建市级管理员账号（--admin 用户名）",
                hint="jjadmin db init --admin 用户名 --name 姓名 --mobile 手机号 --password-stdin",
            )
        if not password:
            raise UsageError(
                f"需要为市级管理员 {username} 设置密码",
                hint="用 --password-stdin 从标准输入提供密码（或在终端中运行以输入密码）",
            )
        check_password_strength(password)
        account = Account(
            username=username.strip(),
            role="city",
            name=(name or username).strip(),
            mobile=normalize_mobile(mobile) if mobile else None,
            password_hash=hash_password(password),
            created_at=ctx.now,
        )
        session.add(account)
        session.flush()
        set_role_password(session, account.id, account.role, password)
        audit.record(
            session,
            BOOTSTRAP,
            ctx.now,
            "account.add",
            "account",
            account.username,
            after={"role": "city", "name": account.name},
        )
        return account.username


def _exists(session: Session, username: str) -> bool:
    found = session.execute(
        select(col(Account.id)).where(col(Account.username) == username.strip())
    ).first()
    return found is not None


def can_manage(session: Session, actor: Actor, target: Account) -> bool:
    """Same unit or below (SPEC §3)."""
    if actor.role == "city":
        return True
    if actor.role == "district":
        if target.role == "district":
            return target.district_code == actor.district_code
        if target.role in ("school", "teacher") and target.school_id is not None:
            school = session.get(School, target.school_id)
            return school is not None and school.district_code == actor.district_code
        return False
    if actor.has_role("school"):
        return target.role in ("school", "teacher") and target.school_id == actor.acting_school_id
    if actor.role == "institution":
        return target.role == "institution" and target.institution == actor.institution
    return False


def add_account(
    ctx: ServiceContext,
    *,
    username: str,
    role: str,
    name: str,
    mobile: str,
    password: str,
    district: str | None = None,
    school: str | None = None,
    institution: str | None = None,
) -> AccountView:
    """Create an operator account in the actor's unit or below.

    Raises InputRejected (bad values), PermissionDenied, NotFound (school), Conflict (username).
    """
    actor = ctx.require("city", "district", "school", "institution", action="创建管理员账号")
    if role not in OPERATOR_ROLES:
        raise InputRejected(f"未知角色：{role}（可选：{'、'.join(OPERATOR_ROLES)}）")
    username = username.strip()
    if not username or len(username) > 40 or (len(username) == 14 and username.isdigit()):
        raise InputRejected("用户名不能为空、不超过 40 个字符，且不能是 14 位学号")
    if not name.strip():
        raise InputRejected("管理员账号必须实名（--name 姓名）")
    mobile = normalize_mobile(mobile)
    check_password_strength(password)
    with ctx.transaction() as session:
        target = Account(
            username=username,
            role=role,
            name=name.strip(),
            mobile=mobile,
            password_hash=hash_password(password),
            created_by=actor.account_id,
            created_at=ctx.now,
        )
        if role == "district":
            if not district or district not in districts():
                raise InputRejected(f"区代码不存在：{district}（--district 区代码）")
            target.district_code = district
        elif role == "school":
            if not school:
                raise InputRejected("学校管理员需指定 --school 学校代码")
            target.school_id = get_school(session, actor, school).id
        elif role == "institution":
            if not institution or not institution.strip():
                raise InputRejected("培训机构管理员需指定 --institution 机构名称")
            target.institution = institution.strip()
        if actor.role != "city" and role in ("city", "system"):
            raise PermissionDenied(f"只有市级管理员可以创建{ROLE_NAMES[role]}账号")
        if not can_manage(session, actor, target):
            raise PermissionDenied(OUT_OF_SCOPE, hint="只能为本单位或下级单位创建管理员")
        exists = session.execute(
            select(col(Account.id)).where(col(Account.username) == username)
        ).scalar_one_or_none()
        if exists is not None:
            raise Conflict(f"用户名已存在：{username}")
        session.add(target)
        try:
            session.flush()
        except IntegrityError as exc:  # a name another unit holds, which a city's role cannot see
            raise Conflict(f"用户名已存在：{username}") from exc
        set_role_password(session, target.id, target.role, password)
        audit.record(
            session,
            actor,
            ctx.now,
            "account.add",
            "account",
            username,
            after={
                "role": role,
                "name": target.name,
                "mobile": mask_mobile(mobile),
                "district": target.district_code,
                "school": school,
                "institution": target.institution,
            },
        )
        return _view(session, target)


def _view(session: Session, a: Account) -> AccountView:
    code = None
    if a.school_id is not None:
        code = session.execute(
            select(col(School.code)).where(col(School.id) == a.school_id)
        ).scalar_one()
    return AccountView(
        a.username,
        a.role,
        a.name,
        mask_mobile(a.mobile) if a.mobile else None,
        a.district_code,
        code,
        a.institution,
        a.disabled,
        a.locked_at is not None,
        a.created_at,
    )


def list_accounts(ctx: ServiceContext, *, include_teachers: bool = False) -> list[AccountView]:
    actor = ctx.require("city", "district", "school", "institution", action="查看管理员账号")
    with ctx.reading() as session:
        # the account table's scope rule, as the city's row-level security applies it
        stmt = select(Account).where(unit_clause(actor, "account"))
        if not include_teachers:
            stmt = stmt.where(col(Account.role) != "teacher")
        rows = session.execute(stmt.order_by(col(Account.id))).scalars().all()
        return [_view(session, a) for a in rows]


def load_managed(session: Session, actor: Actor, username: str) -> Account:
    """The account `username`, if the actor manages it. Raises NotFound, PermissionDenied."""
    return _load_managed(session, actor, username)


def _load_managed(session: Session, actor: Actor, username: str) -> Account:
    account = session.execute(
        select(Account).where(col(Account.username) == username.strip())
    ).scalar_one_or_none()
    if account is None:
        raise NotFound(f"账号不存在：{username}")
    if not can_manage(session, actor, account):
        raise PermissionDenied(OUT_OF_SCOPE)
    return account


def disable_account(ctx: ServiceContext, username: str) -> None:
    actor = ctx.require("city", "district", "school", "institution", action="停用账号")
    with ctx.transaction() as session:
        account = _load_managed(session, actor, username)
        if account.id == actor.account_id:
            raise Conflict("不能停用自己的账号")
        if account.disabled:
            raise Conflict(f"账号已停用：{username}")
        account.disabled = True
        session.execute(
            AuthToken.__table__.update()  # type: ignore[attr-defined]
            .where(col(AuthToken.account_id) == account.id)
            .values(revoked=True)
        )
        audit.record(
            session,
            actor,
            ctx.now,
            "account.disable",
            "account",
            username,
            before={"disabled": False},
            after={"disabled": True},
        )


def enable_account(ctx: ServiceContext, username: str) -> None:
    """Enable a disabled account again (its old sessions and tokens stay revoked).

    Raises NotFound, PermissionDenied, Conflict (not disabled).
    """
    actor = ctx.require("city", "district", "school", "institution", action="启用账号")
    with ctx.transaction() as session:
        account = _load_managed(session, actor, username)
        if not account.disabled:
            raise Conflict(f"账号未停用：{username}")
        account.disabled = False
        audit.record(
            session,
            actor,
            ctx.now,
            "account.enable",
            "account",
            username,
            before={"disabled": True},
            after={"disabled": False},
        )


def unlock_account(ctx: ServiceContext, username: str) -> None:
    """Clear a lock (10 wrong passwords). Raises Conflict when the account is not locked."""
    actor = ctx.require("city", "district", "school", "institution", action="解锁账号")
    with ctx.transaction() as session:
        account = _load_managed(session, actor, username)
        _unlock(session, ctx, actor, account)


def _unlock(session: Session, ctx: ServiceContext, actor: Actor, account: Account) -> None:
    if account.locked_at is None:
        raise Conflict(f"账号未被锁定：{account.username}")
    account.locked_at = None
    account.failed_logins = 0
    audit.record(
        session,
        actor,
        ctx.now,
        "account.unlock",
        "account",
        account.username,
        before={"locked": True},
        after={"locked": False},
    )


def unlock_teacher(ctx: ServiceContext, learner_no: str) -> None:
    """Unlock a teacher's login (username = 学号). Raises NotFound, PermissionDenied, Conflict."""
    actor = ctx.require("city", "district", "school", action="解锁教师账号")
    with ctx.transaction() as session:
        teacher = session.execute(
            select(Teacher).where(col(Teacher.learner_no) == learner_no.strip())
        ).scalar_one_or_none()
        if teacher is None:
            raise NotFound(f"学号不存在：{learner_no}")
        school = session.get(School, teacher.school_id)
        assert school is not None
        from jjadmin.services.scope import school_in_scope

        if not school_in_scope(actor, school):
            raise PermissionDenied(OUT_OF_SCOPE)
        account = session.execute(
            select(Account).where(col(Account.teacher_id) == teacher.id)
        ).scalar_one_or_none()
        if account is None:
            raise Conflict(f"学号 {learner_no} 的账号未被锁定")
        _unlock(session, ctx, actor, account)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    username: str
    expires_at: datetime


def issue_token(ctx: ServiceContext, username: str, *, days: int = 365) -> IssuedToken:
    """An automation token for JJADMIN_TOKEN (the secret is shown once)."""
    actor = ctx.require("city", "district", "school", "institution", action="创建访问令牌")
    if not 1 <= days <= 3650:
        raise InputRejected("--days 应在 1 到 3650 之间")
    with ctx.transaction() as session:
        account = _load_managed(session, actor, username)
        if account.disabled:
            raise Conflict(f"账号已停用：{username}")
        token = "jj_" + secrets.token_urlsafe(32)
        expires = ctx.now + timedelta(days=days)
        session.add(
            AuthToken(
                token_hash=token_digest(token),
                account_id=account.id or 0,
                kind="token",
                created_at=ctx.now,
                expires_at=expires,
            )
        )
        audit.record(
            session,
            actor,
            ctx.now,
            "account.token",
            "account",
            username,
            after={"expires_at": expires},
        )
        return IssuedToken(token, username, expires)


PHONE_MAX = 30
_PHONE = re.compile(r"[0-9０-９+\-－() （）转ext]+")


@dataclass(frozen=True)
class ProfileView:
    """An administrator's own 资料 (系统管理 · 修改资料)."""

    username: str
    role: str
    name: str
    gender: str | None
    mobile: str | None
    phone: str | None
    address: str | None
    email: str | None


def _profile(a: Account) -> ProfileView:
    return ProfileView(a.username, a.role, a.name, a.gender, a.mobile, a.phone, a.address, a.email)


def _operator_self(ctx: ServiceContext) -> Actor:
    actor = ctx.actor
    if actor.role == "teacher" or actor.account_id is None:
        raise PermissionDenied(
            "学员的个人信息在学员平台修改", hint="jjadmin me update --mobile … --email …"
        )
    return actor


def my_profile(ctx: ServiceContext) -> ProfileView:
    """The administrator's own account details."""
    actor = _operator_self(ctx)
    with ctx.reading() as session:
        account = session.get(Account, actor.account_id)
        assert account is not None
        return _profile(account)


def update_my_profile(
    ctx: ServiceContext,
    *,
    name: str | None = None,
    gender: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    email: str | None = None,
) -> ProfileView:
    """修改资料: 姓名, 性别, 电话, 地址, 电子邮箱 (the bound mobile changes through
    `account phone`, verified by a code). An empty value clears 电话/地址/电子邮箱.

    Raises InvalidValue (1) naming the field, PermissionDenied (3) for teachers.
    """
    from jjadmin.errors import InvalidValue
    from jjadmin.rules.ids import parse_gender
    from jjadmin.rules.people import normalize_address, normalize_email, normalize_name

    actor = _operator_self(ctx)
    changes: dict[str, str | None] = {}
    if name is not None:
        changes["name"] = normalize_name(name)
    if gender is not None:
        changes["gender"] = parse_gender(gender)
        if changes["gender"] is None:
            raise InvalidValue("性别应为“男”或“女”", code="gender-invalid")
    if phone is not None:
        text = phone.strip()
        if text and (len(text) > PHONE_MAX or not _PHONE.fullmatch(text)):
            raise InvalidValue(f"电话“{text}”格式不正确", code="phone-invalid")
        changes["phone"] = text or None
    if address is not None:
        changes["address"] = normalize_address(address) or None
    if email is not None:
        changes["email"] = normalize_email(email) if email.strip() else None
    with ctx.transaction() as session:
        account = session.get(Account, actor.account_id)
        assert account is not None
        before = {k: getattr(account, k) for k in changes}
        changed = {k: v for k, v in changes.items() if before[k] != v}
        for key, value in changed.items():
            setattr(account, key, value)
        if changed:
            audit.record(
                session,
                actor,
                ctx.now,
                "account.profile",
                "account",
                account.username,
                before={k: before[k] for k in changed},
                after=changed,
            )
        return _profile(account)
