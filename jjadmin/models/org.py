"""Districts, schools and operator accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from jjadmin.models.base import TZDateTime


class District(SQLModel, table=True):
    __tablename__ = "district"

    code: str = Field(primary_key=True, max_length=6)
    name: str = Field(max_length=40)


class School(SQLModel, table=True):
    __tablename__ = "school"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=10, unique=True, index=True)
    name: str = Field(max_length=100)
    district_code: str = Field(foreign_key="district.code", max_length=6, index=True)
    school_type: str = Field(max_length=20)
    seal_name: str = Field(max_length=100)
    town: str = Field(max_length=60)
    nature: str = Field(max_length=10)
    head_name: str = Field(max_length=40)
    head_mobile: str = Field(max_length=11)
    version: int = Field(default=1)
    created_batch_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(sa_type=TZDateTime)
    updated_at: datetime = Field(sa_type=TZDateTime)


class Account(SQLModel, table=True):
    """An operator (city/district/institution/school/system) or a teacher's login."""

    __tablename__ = "account"
    __table_args__ = (
        Index(
            "uq_account_teacher_id",
            "teacher_id",
            unique=True,
            sqlite_where=text("teacher_id IS NOT NULL"),
            postgresql_where=text("teacher_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, unique=True, index=True)
    role: str = Field(max_length=12)
    name: str = Field(max_length=40)
    mobile: str | None = Field(default=None, max_length=11)
    password_hash: str | None = Field(default=None, max_length=200)
    district_code: str | None = Field(default=None, foreign_key="district.code", max_length=6)
    school_id: int | None = Field(default=None, foreign_key="school.id")
    institution: str | None = Field(default=None, max_length=100)
    teacher_id: int | None = Field(default=None, foreign_key="teacher.id")
    disabled: bool = Field(default=False)
    failed_logins: int = Field(default=0)
    locked_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    # a first (ID-derived) or reset password: every command but changing it refuses
    must_change_password: bool = Field(default=False)
    password_changed_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    # 修改资料 (系统管理): 性别, 电话, 地址, 电子邮箱 besides 姓名 and the bound mobile
    gender: str | None = Field(default=None, max_length=2)
    phone: str | None = Field(default=None, max_length=30)
    address: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=100)
    created_by: int | None = Field(default=None)
    created_at: datetime = Field(sa_type=TZDateTime)


class AuthToken(SQLModel, table=True):
    """A login session (8 h) or an automation token; only the SHA-256 of the secret is kept."""

    __tablename__ = "auth_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    kind: str = Field(max_length=10)  # session | token
    created_at: datetime = Field(sa_type=TZDateTime)
    expires_at: datetime = Field(sa_type=TZDateTime)
    verified_until: datetime | None = Field(default=None, sa_type=TZDateTime)
    revoked: bool = Field(default=False)


class VerificationCode(SQLModel, table=True):
    """An SMS code: 6 digits, 10 minutes, single use, void after 5 wrong tries."""

    __tablename__ = "verification_code"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    token_id: int | None = Field(default=None, foreign_key="auth_token.id")
    purpose: str = Field(default="verify", max_length=20)  # verify | phone
    target_mobile: str = Field(max_length=11)
    code_hash: str = Field(max_length=64)
    sent_at: datetime = Field(sa_type=TZDateTime)
    expires_at: datetime = Field(sa_type=TZDateTime)
    tries: int = Field(default=0)
    used: bool = Field(default=False)
    void: bool = Field(default=False)


class Sequence(SQLModel, table=True):
    """Named counters (learner numbers, bill numbers); never reused."""

    __tablename__ = "sequence"

    name: str = Field(primary_key=True, max_length=40)
    value: int = Field(default=0)
