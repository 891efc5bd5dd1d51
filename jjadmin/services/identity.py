"""Who is acting, as a command asks it: `whoami`, acting only to change a first or reset
password, and the SMS verification a sensitive export needs. (The actor itself is resolved
from the session or token by services.context, which also raises PasswordChangeRequired.)

Imports no SQLAlchemy: `whoami` and the start-up-critical read views use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jjadmin.errors import VerificationRequired
from jjadmin.services.context import ROLE_NAMES, Actor, ServiceContext, resolve_actor
from jjadmin.services.context import PasswordChangeRequired as PasswordChangeRequired
from jjadmin.services.context import password_change_hint as password_change_hint

VERIFY_HINT = "先运行 jjadmin verify send，再运行 jjadmin verify check 验证码（30 分钟内有效）"


def require_verified(ctx: ServiceContext, what: str = "导出敏感数据") -> Actor:
    """The actor, if its session passed SMS verification in the last 30 minutes."""
    actor = ctx.actor
    if not actor.is_verified(ctx.now):
        raise VerificationRequired(f"{what}需要先完成短信验证", hint=VERIFY_HINT)
    return actor


@dataclass(frozen=True)
class WhoAmI:
    username: str
    name: str
    role: str
    role_name: str
    district_code: str | None
    school_code: str | None
    institution: str | None
    is_principal: bool
    is_school_admin: bool  # a teacher authorised as the school's admin (授权)
    verified_until: datetime | None
    must_change_password: bool


def acting_to_change_password(ctx: ServiceContext) -> Actor:
    """The actor, also when its password must be replaced first (changing it, whoami)."""
    if not ctx.actor_resolved:
        ctx.set_actor(resolve_actor(ctx, password_change=True))
    return ctx.actor


def whoami(ctx: ServiceContext) -> WhoAmI:
    a = acting_to_change_password(ctx)
    verified = a.verified_until if a.is_verified(ctx.now) else None
    return WhoAmI(
        a.username,
        a.name,
        a.role,
        ROLE_NAMES.get(a.role, a.role),
        a.district_code,
        a.school_code,
        a.institution,
        a.principal_school_id is not None and a.admin_grant != "school_admin",
        a.admin_grant == "school_admin",
        verified,
        a.must_change_password,
    )
