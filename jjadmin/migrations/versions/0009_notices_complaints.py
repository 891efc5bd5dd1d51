"""notices: audiences, read marks, texts; complaints: windows, replies, year, closer

- notice_target: one audience of a notice (all | a district | a school).
- notice_read: who opened which notice (`notice show`, `notice list --unread`).
- notice_sms: one text per notice and addressed school admin, pending → sending → sent |
  failed, so that `notice resend` sends only what did not go out.
- complaint_window: when teachers may complain about a year's 年度验证 (the city's).
- complaint_reply: every reply; complaint gets `year` (its window's) and `closed_by`, and
  its states become the words the JSON carries (待处理, 已回复, 已关闭).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import jjadmin.models.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TZ = jjadmin.models.base.TZDateTime


def upgrade() -> None:
    op.create_table(
        "notice_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.code"],
            name=op.f("fk_notice_target_district_code_district"),
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_target_notice_id_notice")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_notice_target_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_target")),
    )
    with op.batch_alter_table("notice_target", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_target_notice_id"), ["notice_id"])
        batch_op.create_index(batch_op.f("ix_notice_target_district_code"), ["district_code"])
        batch_op.create_index(batch_op.f("ix_notice_target_school_id"), ["school_id"])

    op.create_table(
        "notice_read",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("read_at", TZ(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_notice_read_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_read_notice_id_notice")
        ),
        sa.PrimaryKeyConstraint("notice_id", "account_id", name=op.f("pk_notice_read")),
    )
    with op.batch_alter_table("notice_read", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_read_account_id"), ["account_id"])

    op.create_table(
        "notice_sms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("mobile", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("sent_at", TZ(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_notice_sms_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_sms_notice_id_notice")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_notice_sms_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_sms")),
        sa.UniqueConstraint(
            "notice_id", "account_id", name=op.f("uq_notice_sms_notice_id_account_id")
        ),
    )
    with op.batch_alter_table("notice_sms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_sms_notice_id"), ["notice_id"])

    op.create_table(
        "complaint_window",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("opens_at", TZ(timezone=True), nullable=False),
        sa.Column("closes_at", TZ(timezone=True), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("set_at", TZ(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_by"], ["account.id"], name=op.f("fk_complaint_window_set_by_account")
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_complaint_window")),
    )

    op.create_table(
        "complaint_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("replied_by", sa.Integer(), nullable=True),
        sa.Column("replied_at", TZ(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_complaint_reply_complaint_id_complaint"),
        ),
        sa.ForeignKeyConstraint(
            ["replied_by"], ["account.id"], name=op.f("fk_complaint_reply_replied_by_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_reply")),
    )
    with op.batch_alter_table("complaint_reply", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_reply_complaint_id"), ["complaint_id"])

    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closed_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_complaint_closed_by_account"), "account", ["closed_by"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_complaint_year"), ["year"])
    op.execute(
        "UPDATE complaint SET state = CASE state WHEN 'open' THEN '待处理' "
        "WHEN 'replied' THEN '已回复' WHEN 'closed' THEN '已关闭' ELSE state END"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE complaint SET state = CASE state WHEN '待处理' THEN 'open' "
        "WHEN '已回复' THEN 'replied' WHEN '已关闭' THEN 'closed' ELSE state END"
    )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_year"))
        batch_op.drop_constraint(batch_op.f("fk_complaint_closed_by_account"), type_="foreignkey")
        batch_op.drop_column("closed_by")
        batch_op.drop_column("year")
    op.drop_table("complaint_reply")
    op.drop_table("complaint_window")
    op.drop_table("notice_sms")
    op.drop_table("notice_read")
    op.drop_table("notice_target")
