"""公告 (notices: audiences, read marks, texts) and 投诉意见 (windows, replies).

`notice` and `complaint` themselves live in models/misc.py (the first schema's tables).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from jjadmin.models.base import TZDateTime


class NoticeTarget(SQLModel, table=True):
    """One audience of a notice: everyone (`all`), a district (its office and its schools),
    or one school."""

    __tablename__ = "notice_target"

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    kind: str = Field(max_length=8)  # all | district | school
    district_code: str | None = Field(
        default=None, foreign_key="district.code", max_length=6, index=True
    )
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)


class NoticeRead(SQLModel, table=True):
    """A reader (an account) has opened a notice (`notice show`)."""

    __tablename__ = "notice_read"

    notice_id: int = Field(foreign_key="notice.id", primary_key=True)
    account_id: int = Field(foreign_key="account.id", primary_key=True, index=True)
    read_at: datetime = Field(sa_type=TZDateTime)


class NoticeSms(SQLModel, table=True):
    """The text of a notice to one addressed school admin: pending → sending → sent | failed.

    A chunk is marked `sending` (committed) before its texts go out, and `sent`/`failed`
    after: a crash leaves at most one chunk `sending`, which `notice resend` sends again.
    """

    __tablename__ = "notice_sms"
    __table_args__ = (UniqueConstraint("notice_id", "account_id"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    account_id: int = Field(foreign_key="account.id")
    school_id: int | None = Field(default=None, foreign_key="school.id")
    mobile: str = Field(max_length=11)
    state: str = Field(default="pending", max_length=8)  # pending | sending | sent | failed
    attempts: int = Field(default=0)
    error: str | None = Field(default=None, max_length=200)
    sent_at: datetime | None = Field(default=None, sa_type=TZDateTime)


class ComplaintWindow(SQLModel, table=True):
    """When teachers may file complaints about a year's 年度验证 (set by the city)."""

    __tablename__ = "complaint_window"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    opens_at: datetime = Field(sa_type=TZDateTime)
    closes_at: datetime = Field(sa_type=TZDateTime)
    set_by: int | None = Field(default=None, foreign_key="account.id")
    set_at: datetime = Field(sa_type=TZDateTime)


class ComplaintReply(SQLModel, table=True):
    """One reply to a complaint (the handling district's, or the city's)."""

    __tablename__ = "complaint_reply"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    text: str
    replied_by: int | None = Field(default=None, foreign_key="account.id")
    replied_at: datetime = Field(sa_type=TZDateTime)
