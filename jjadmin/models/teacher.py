"""Teachers, their info-review rounds, principals and transfers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from jjadmin.models.base import TZDateTime


class Teacher(SQLModel, table=True):
    __tablename__ = "teacher"

    id: int | None = Field(default=None, primary_key=True)
    learner_no: str = Field(max_length=14, unique=True, index=True)
    # no index: 姓名 is searched with LIKE %…% (teacher list --name), which no B-tree serves,
    # and each index costs every roster import (migration 0002 dropped it)
    name: str = Field(max_length=40)
    id_number: str = Field(max_length=18, unique=True, index=True)
    gender: str = Field(max_length=2)
    birth_date: date
    mobile: str = Field(max_length=11)
    school_id: int = Field(foreign_key="school.id", index=True)
    stage: str = Field(max_length=20)
    subject: str = Field(max_length=20)
    title: str | None = Field(default=None, max_length=20)
    status: str = Field(default="在职", max_length=4, index=True)
    email: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=200)
    review_state: str = Field(default="normal", max_length=10, index=True)
    version: int = Field(default=1)
    created_batch_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(sa_type=TZDateTime)
    updated_at: datetime = Field(sa_type=TZDateTime)


class TeacherChange(SQLModel, table=True):
    """One round of 信息审核: reopened → submitted → approved/rejected; every round kept."""

    __tablename__ = "teacher_change"

    id: int | None = Field(default=None, primary_key=True)
    teacher_id: int = Field(foreign_key="teacher.id", index=True)
    round: int = Field(default=1)
    state: str = Field(max_length=10)  # reopened | submitted | approved | rejected
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    before: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    reopened_by: int | None = Field(default=None, foreign_key="account.id")
    reopened_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    submitted_by: int | None = Field(default=None, foreign_key="account.id")
    submitted_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    reviewed_by: int | None = Field(default=None, foreign_key="account.id")
    reviewed_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    reason: str | None = Field(default=None, max_length=500)


class Principal(SQLModel, table=True):
    """校长授权: one per school (the primary key) and one school per teacher."""

    __tablename__ = "principal"

    school_id: int = Field(foreign_key="school.id", primary_key=True)
    teacher_id: int = Field(foreign_key="teacher.id", unique=True)
    granted_by: int | None = Field(default=None, foreign_key="account.id")
    granted_at: datetime = Field(sa_type=TZDateTime)


class Transfer(SQLModel, table=True):
    """教师调动: requested by the receiving school; approved by district or city."""

    __tablename__ = "transfer"

    id: int | None = Field(default=None, primary_key=True)
    teacher_id: int = Field(foreign_key="teacher.id", index=True)
    from_school_id: int = Field(foreign_key="school.id", index=True)
    to_school_id: int = Field(foreign_key="school.id", index=True)
    state: str = Field(default="pending", max_length=10, index=True)
    approver_level: str = Field(max_length=10)  # district | city
    approver_district: str | None = Field(default=None, max_length=6)
    note: str | None = Field(default=None, max_length=500)
    reason: str | None = Field(default=None, max_length=500)
    requested_by: int | None = Field(default=None, foreign_key="account.id")
    requested_at: datetime = Field(sa_type=TZDateTime)
    decided_by: int | None = Field(default=None, foreign_key="account.id")
    decided_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    batch_id: int | None = Field(default=None, index=True)


class SchoolAdmin(SQLModel, table=True):
    """授权 (seed 基础信息管理 (3)): a teacher a school made one of its school admins, besides
    the one principal; one school per teacher, as many teachers per school as it wants."""

    __tablename__ = "school_admin"

    teacher_id: int = Field(foreign_key="teacher.id", primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    granted_by: int | None = Field(default=None, foreign_key="account.id")
    granted_at: datetime = Field(sa_type=TZDateTime)
