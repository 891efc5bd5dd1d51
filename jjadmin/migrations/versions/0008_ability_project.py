"""ability project: the 提升工程 selection and the courses' 能力维度

- ability_selection: one row per course a teacher confirmed for a period (`ability confirm`):
  the assessment it followed, its 提升工程类别, whether it is one of the three required
  courses (never dropped), why it was chosen, active | dropped.
- course.ability_dimension: the 能力维度 of a 提升工程 course (技术素养, 计划与准备, 组织与管理,
  评估与诊断, 学习与发展); 专业必修 of the teacher's topic dimension is preferred.

Revision ID: 0008
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import jjadmin.models.base

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ability_dimension", sa.String(length=10), nullable=True))

    op.create_table(
        "ability_selection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("created_at", jjadmin.models.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", jjadmin.models.base.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["ability_assessment.id"],
            name=op.f("fk_ability_selection_assessment_id_ability_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_ability_selection_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["period"], ["period.code"], name=op.f("fk_ability_selection_period_period")
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"], ["teacher.id"], name=op.f("fk_ability_selection_teacher_id_teacher")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ability_selection")),
        sa.UniqueConstraint(
            "teacher_id",
            "period",
            "course_id",
            name=op.f("uq_ability_selection_teacher_id_period_course_id"),
        ),
    )
    with op.batch_alter_table("ability_selection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ability_selection_teacher_id"), ["teacher_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ability_selection_course_id"), ["course_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ability_selection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ability_selection_course_id"))
        batch_op.drop_index(batch_op.f("ix_ability_selection_teacher_id"))
    op.drop_table("ability_selection")
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_column("ability_dimension")
