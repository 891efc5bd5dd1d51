"""drop ix_teacher_name

姓名 is only ever searched with LIKE '%…%' (`teacher list --name`), which a B-tree index
cannot serve on SQLite or PostgreSQL; the index only cost every roster import (about 0.2 s
of a 100,000-teacher import on SQLite).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_teacher_name", table_name="teacher")


def downgrade() -> None:
    op.create_index("ix_teacher_name", "teacher", ["name"], unique=False)
