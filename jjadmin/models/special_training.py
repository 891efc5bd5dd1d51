"""专项培训: a teacher's application for a special-training project and its review rounds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from jjadmin.models.base import TZDateTime


class SpecialTrainingApplication(SQLModel, table=True):
    """报名: 待学校审核 → 待区审核 → 待机构审核 → 已通过 (enrolled), or 未通过 at any stage.

    At most one live application (not 未通过) per teacher and course.
    """

    __tablename__ = "special_training_application"
    __table_args__ = (
        Index(
            "uq_special_training_application_live",
            "teacher_id",
            "course_id",
            unique=True,
            sqlite_where=text("state <> '未通过'"),
            postgresql_where=text("state <> '未通过'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    teacher_id: int = Field(foreign_key="teacher.id", index=True)
    # the teacher's school when applying: its admin (or principal) reviews first
    school_id: int = Field(foreign_key="school.id", index=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    state: str = Field(max_length=10, index=True)
    note: str | None = Field(default=None, max_length=500)
    applied_by: int | None = Field(default=None, foreign_key="account.id")
    applied_at: datetime = Field(sa_type=TZDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    enrollment_id: int | None = Field(default=None, foreign_key="enrollment.id")


class SpecialTrainingReview(SQLModel, table=True):
    """One decision on an application: its stage, approve or reject, who, when and why.

    `school_id` and `course_id` repeat the application's: the unit links stay explicit on
    every row (the scope rule, and a city's row-level security, derive from them)."""

    __tablename__ = "special_training_review"
    __table_args__ = (UniqueConstraint("application_id", "stage"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="special_training_application.id", index=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    stage: str = Field(max_length=12)  # school | district | institution
    approved: bool
    reason: str | None = Field(default=None, max_length=500)
    reviewed_by: int | None = Field(default=None, foreign_key="account.id")
    reviewed_at: datetime = Field(sa_type=TZDateTime)
