"""Credit hours: earned records, declarations, review rounds, attachments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from jjadmin.models.base import TZDateTime


class Attachment(SQLModel, table=True):
    __tablename__ = "attachment"

    id: int | None = Field(default=None, primary_key=True)
    file_name: str = Field(max_length=200)
    sha256: str = Field(max_length=64, index=True)
    size: int
    content: bytes = Field(sa_type=LargeBinary)
    uploaded_by: int | None = Field(default=None, foreign_key="account.id")
    uploaded_at: datetime = Field(sa_type=TZDateTime)


class CreditDeclarationAttachment(SQLModel, table=True):
    """A declaration's proofs (证明材料): many files per declaration, each kept with the round
    it was submitted in."""

    __tablename__ = "credit_declaration_attachment"
    __table_args__ = (UniqueConstraint("declaration_id", "attachment_id"),)

    id: int | None = Field(default=None, primary_key=True)
    declaration_id: int = Field(foreign_key="credit_declaration.id", index=True)
    attachment_id: int = Field(foreign_key="attachment.id")
    round: int


class CreditDeclaration(SQLModel, table=True):
    """学时申报: personal declaration → school first review → district final review."""

    __tablename__ = "credit_declaration"

    id: int | None = Field(default=None, primary_key=True)
    teacher_id: int = Field(foreign_key="teacher.id", index=True)
    year: int = Field(index=True)
    project_name: str = Field(max_length=200)
    institution: str = Field(max_length=200)
    start_date: date
    end_date: date
    hours: Decimal = Field(sa_type=Numeric(7, 1))
    hour_type: str = Field(max_length=10)
    proof: str | None = Field(default=None, max_length=200)  # 证明材料 as written on a sheet
    state: str = Field(default="待初审", max_length=16, index=True)
    round: int = Field(default=1)
    declared_by: int | None = Field(default=None, foreign_key="account.id")
    declared_at: datetime = Field(sa_type=TZDateTime)
    updated_at: datetime = Field(sa_type=TZDateTime)
    batch_id: int | None = Field(default=None, index=True)  # the import that made it


class CreditReview(SQLModel, table=True):
    __tablename__ = "credit_review"

    id: int | None = Field(default=None, primary_key=True)
    declaration_id: int = Field(foreign_key="credit_declaration.id", index=True)
    round: int
    level: str = Field(max_length=10)  # school (初审) | district (终审)
    decision: str = Field(max_length=10)  # approve | return
    reason: str | None = Field(default=None, max_length=500)
    reviewer_id: int | None = Field(default=None, foreign_key="account.id")
    reviewed_at: datetime = Field(sa_type=TZDateTime)
    # the declaration as this level saw it (每一轮的申报信息)
    declared: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class CreditRecord(SQLModel, table=True):
    """Hours credited to a teacher's year: the ledger (services/credits/ledger.py).

    One row per (teacher, source, source_ref): a grade's source_ref is the course id (a course
    is never counted twice; a re-grade replaces, a fail withdraws), a declaration's its id, the
    ability project's the period code."""

    __tablename__ = "credit_record"
    __table_args__ = (
        # also serves a teacher's ledger (teacher_id leads): no index of its own
        UniqueConstraint("teacher_id", "source", "source_ref"),
        # 年度验证 reads a year's rows grouped by teacher, hour type and 校本: covering
        Index(
            "ix_credit_record_year_teacher",
            "year",
            "teacher_id",
            "hour_type",
            "hours",
            "training_level",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    teacher_id: int = Field(foreign_key="teacher.id")
    year: int
    hours: Decimal = Field(sa_type=Numeric(7, 1))
    hour_type: str = Field(max_length=10)
    training_level: str | None = Field(default=None, max_length=10)
    source: str = Field(max_length=12)  # grade | declaration | ability
    source_ref: str = Field(max_length=40)
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True)
    title: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=TZDateTime)


class Certificate(SQLModel, table=True):
    """学习证明: a printed proof of a passed course, checked by its code (`credits verify`)."""

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("teacher_id", "course_id"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    teacher_id: int = Field(foreign_key="teacher.id")
    course_id: int = Field(foreign_key="course.id", index=True)
    period: str = Field(max_length=4)
    learner_no: str = Field(max_length=14)
    teacher_name: str = Field(max_length=40)
    school_name: str = Field(max_length=100)
    course_code: str = Field(max_length=20)
    course_name: str = Field(max_length=200)
    hours: Decimal = Field(sa_type=Numeric(7, 1))
    hour_type: str = Field(max_length=10)
    issuer: str = Field(max_length=100)
    issued_by: int | None = Field(default=None, foreign_key="account.id")
    issued_at: datetime = Field(sa_type=TZDateTime)
