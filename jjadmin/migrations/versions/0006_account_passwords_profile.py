"""accounts: forced password change, profile fields

`must_change_password` marks a first (ID-derived) or reset password that must be replaced
before anything else (SPEC §6 Teacher: passwd-reset); `gender`, `phone`, `address`, `email`
are the seed's 修改资料 fields of an administrator's own account.

Revision ID: 0006
Revises: 0002
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import jjadmin.models.base

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column(
                "password_changed_at", jjadmin.models.base.TZDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("gender", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True)
        )
        batch_op.add_column(
            sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True)
        )
        batch_op.add_column(
            sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.alter_column("must_change_password", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        for column in (
            "email",
            "address",
            "phone",
            "gender",
            "password_changed_at",
            "must_change_password",
        ):
            batch_op.drop_column(column)
