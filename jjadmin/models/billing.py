"""Bills, payments and special users (选课未缴费)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from jjadmin.models.base import TZDateTime


class Bill(SQLModel, table=True):
    """One bill per period, school and charging unit; amounts in fen."""

    __tablename__ = "bill"
    __table_args__ = (UniqueConstraint("period", "school_id", "charging_unit"),)

    id: int | None = Field(default=None, primary_key=True)
    bill_no: str = Field(max_length=30, unique=True, index=True)
    period: str = Field(foreign_key="period.code", max_length=4, index=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    charging_unit: str = Field(max_length=100)
    name: str = Field(max_length=200)
    amount: int = Field(default=0)
    state: str = Field(default="unpaid", max_length=8, index=True)
    receipt_no: str | None = Field(default=None, max_length=60)
    paid_on: date | None = None
    paid_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    created_at: datetime = Field(sa_type=TZDateTime)
    updated_at: datetime = Field(sa_type=TZDateTime)


class Payment(SQLModel, table=True):
    __tablename__ = "payment"

    id: int | None = Field(default=None, primary_key=True)
    bill_id: int = Field(foreign_key="bill.id", index=True)
    amount: int
    paid_on: date
    receipt_no: str = Field(max_length=60, unique=True)
    recorded_by: int | None = Field(default=None, foreign_key="account.id")
    recorded_at: datetime = Field(sa_type=TZDateTime)
    batch_id: int | None = Field(default=None, index=True)


class SpecialUser(SQLModel, table=True):
    """特殊用户: one record per teacher and period, naming the unpaid enrollments."""

    __tablename__ = "special_user"
    __table_args__ = (UniqueConstraint("teacher_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    teacher_id: int = Field(foreign_key="teacher.id", index=True)
    period: str = Field(foreign_key="period.code", max_length=4)
    enrollment_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    flagged_at: datetime = Field(sa_type=TZDateTime)
    occurrence: int = Field(default=1)  # 第几次被列为特殊用户
    cleared_at: datetime | None = Field(default=None, sa_type=TZDateTime, index=True)
    cleared_by: int | None = Field(default=None, foreign_key="account.id")
    evidence: str | None = Field(default=None, max_length=500)
    seal_proof_name: str | None = Field(default=None, max_length=200)
    seal_proof_sha256: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
