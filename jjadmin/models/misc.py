"""Notices, complaints, audit rows and import batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from jjadmin.models.base import TZDateTime


class Notice(SQLModel, table=True):
    __tablename__ = "notice"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    body: str
    audience: str = Field(max_length=10)  # city | district | school
    district_code: str | None = Field(default=None, max_length=6)
    school_id: int | None = Field(default=None, foreign_key="school.id")
    posted_by: int | None = Field(default=None, foreign_key="account.id")
    posted_at: datetime = Field(sa_type=TZDateTime)


class Complaint(SQLModel, table=True):
    __tablename__ = "complaint"

    id: int | None = Field(default=None, primary_key=True)
    teacher_id: int = Field(foreign_key="teacher.id", index=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    topic: str = Field(max_length=200)  # the complaint's title
    body: str
    # stored as the words the JSON carries: 待处理 | 已回复 | 已关闭
    state: str = Field(default="待处理", max_length=10)
    year: int | None = Field(default=None, index=True)  # the 年度验证 year of its window
    reply: str | None = None
    replied_by: int | None = Field(default=None, foreign_key="account.id")
    replied_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    closed_by: int | None = Field(default=None, foreign_key="account.id")
    filed_at: datetime = Field(sa_type=TZDateTime)


class AuditLog(SQLModel, table=True):
    """Every change: when, who, action, target, before/after (SPEC §3)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=TZDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="account.id")
    actor: str = Field(max_length=40, index=True)
    action: str = Field(max_length=40, index=True)
    target_type: str = Field(max_length=30)
    target: str = Field(max_length=100)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    batch_id: int | None = Field(default=None)


class ImportBatch(SQLModel, table=True):
    """One import: who, when, file name and SHA-256, counts; undoable."""

    __tablename__ = "import_batch"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # school | teacher | enroll | ...
    unit: str = Field(max_length=40)  # lock scope, e.g. school:4401000001 or city
    actor_id: int | None = Field(default=None, foreign_key="account.id")
    actor: str = Field(max_length=40)
    file_name: str = Field(max_length=260)
    sha256: str = Field(max_length=64)
    total: int = Field(default=0)
    created: int = Field(default=0)
    updated: int = Field(default=0)
    skipped: int = Field(default=0)
    rejected: int = Field(default=0)
    state: str = Field(default="applied", max_length=10)  # applied | undone
    started_at: datetime = Field(sa_type=TZDateTime)
    undone_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    undone_by: int | None = Field(default=None, foreign_key="account.id")


class BatchChange(SQLModel, table=True):
    """An update a batch made to an existing row (inserts are tracked by created_batch_id)."""

    __tablename__ = "batch_change"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batch.id", index=True)
    table_name: str = Field(max_length=30)
    row_id: int
    before: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    after: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    version_after: int
