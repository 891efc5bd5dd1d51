"""billing: open bills, special-user levels, seal proofs

- bill: one *unpaid* bill per period, school and charging unit (a partial unique index instead
  of the unique constraint), so that what a school selects after paying goes into a new bill;
  `enrollments` (人次) and `version` (batch undo of a payment import).
- special_user: `level` (全员培训 flagged by the city close, 区级培训 by a district's),
  `district_code`, `seal_proof_id` (the stored proof), `version`; one *open* flag per teacher,
  period and level (a flag cleared and raised again is a new record, a new occurrence).
- enrollment: no index on bill_id (it is set when a bill is paid and read through the
  (period, school_id) index; the index only cost every enrollment load and payment); a
  partial index of what is still to pay (active and unpaid), which bill generation and the
  period close read instead of the whole period.

Revision ID: 0003
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.drop_constraint("uq_bill_period_school_id_charging_unit", type_="unique")
        batch_op.add_column(
            sa.Column("enrollments", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.alter_column("enrollments", server_default=None)
        batch_op.alter_column("version", server_default=None)
        batch_op.create_index(
            "uq_bill_open",
            ["period", "school_id", "charging_unit"],
            unique=True,
            sqlite_where=sa.text("state = 'unpaid'"),
            postgresql_where=sa.text("state = 'unpaid'"),
        )

    with op.batch_alter_table("special_user", schema=None) as batch_op:
        batch_op.drop_constraint("uq_special_user_teacher_id_period", type_="unique")
        batch_op.add_column(
            sa.Column("level", sa.String(length=10), nullable=False, server_default="全员培训")
        )
        batch_op.add_column(sa.Column("district_code", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("seal_proof_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_foreign_key(
            "fk_special_user_seal_proof_id_attachment", "attachment", ["seal_proof_id"], ["id"]
        )
    with op.batch_alter_table("special_user", schema=None) as batch_op:
        batch_op.alter_column("level", server_default=None)
        batch_op.alter_column("version", server_default=None)
        batch_op.create_index(
            "uq_special_user_open",
            ["teacher_id", "period", "level"],
            unique=True,
            sqlite_where=sa.text("cleared_at IS NULL"),
            postgresql_where=sa.text("cleared_at IS NULL"),
        )

    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_index("ix_enrollment_bill_id")
        batch_op.create_index(
            "ix_enrollment_unpaid",
            ["period", "school_id", "course_id", "teacher_id", "state", "paid"],
            unique=False,
            sqlite_where=sa.text("state = 'active' AND paid = 0"),
            postgresql_where=sa.text("state = 'active' AND paid = false"),
        )


def downgrade() -> None:
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_enrollment_unpaid",
            sqlite_where=sa.text("state = 'active' AND paid = 0"),
            postgresql_where=sa.text("state = 'active' AND paid = false"),
        )
        batch_op.create_index("ix_enrollment_bill_id", ["bill_id"], unique=False)

    with op.batch_alter_table("special_user", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_special_user_open",
            sqlite_where=sa.text("cleared_at IS NULL"),
            postgresql_where=sa.text("cleared_at IS NULL"),
        )
        batch_op.drop_constraint("fk_special_user_seal_proof_id_attachment", type_="foreignkey")
        batch_op.drop_column("version")
        batch_op.drop_column("seal_proof_id")
        batch_op.drop_column("district_code")
        batch_op.drop_column("level")
        batch_op.create_unique_constraint(
            "uq_special_user_teacher_id_period", ["teacher_id", "period"]
        )

    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_bill_open",
            sqlite_where=sa.text("state = 'unpaid'"),
            postgresql_where=sa.text("state = 'unpaid'"),
        )
        batch_op.drop_column("version")
        batch_op.drop_column("enrollments")
        batch_op.create_unique_constraint(
            "uq_bill_period_school_id_charging_unit", ["period", "school_id", "charging_unit"]
        )
