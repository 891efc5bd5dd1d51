"""special training applications and their reviews; school admins granted among teachers

`special_training_application` / `special_training_review`: a teacher's application for a
专项培训 project, passing the school, the district and the project's institution (SPEC §6
Special training); at most one live application per teacher and course. `school_admin`:
teachers a school authorised as school admins besides its principal (授权, SPEC §6 Teacher).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import jjadmin.models.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "school_admin",
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("granted_at", jjadmin.models.base.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["account.id"], name=op.f("fk_school_admin_granted_by_account")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_school_admin_school_id_school")
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"], ["teacher.id"], name=op.f("fk_school_admin_teacher_id_teacher")
        ),
        sa.PrimaryKeyConstraint("teacher_id", name=op.f("pk_school_admin")),
    )
    with op.batch_alter_table("school_admin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_admin_school_id"), ["school_id"], unique=False)

    op.create_table(
        "special_training_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("applied_by", sa.Integer(), nullable=True),
        sa.Column("applied_at", jjadmin.models.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", jjadmin.models.base.TZDateTime(timezone=True), nullable=True),
        sa.Column("enrollment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["applied_by"],
            ["account.id"],
            name=op.f("fk_special_training_application_applied_by_account"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_special_training_application_course_id_course"),
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
            name=op.f("fk_special_training_application_enrollment_id_enrollment"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_special_training_application_school_id_school"),
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["teacher.id"],
            name=op.f("fk_special_training_application_teacher_id_teacher"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_special_training_application")),
    )
    with op.batch_alter_table("special_training_application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_special_training_application_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_special_training_application_school_id"), ["school_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_special_training_application_state"), ["state"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_special_training_application_teacher_id"), ["teacher_id"], unique=False
        )
        batch_op.create_index(
            "uq_special_training_application_live",
            ["teacher_id", "course_id"],
            unique=True,
            sqlite_where=sa.text("state <> '未通过'"),
            postgresql_where=sa.text("state <> '未通过'"),
        )

    op.create_table(
        "special_training_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", jjadmin.models.base.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["special_training_application.id"],
            name=op.f("fk_special_training_review_application_id_special_training_application"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_special_training_review_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_special_training_review_school_id_school")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["account.id"],
            name=op.f("fk_special_training_review_reviewed_by_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_special_training_review")),
        sa.UniqueConstraint(
            "application_id", "stage", name=op.f("uq_special_training_review_application_id_stage")
        ),
    )
    with op.batch_alter_table("special_training_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_special_training_review_application_id"),
            ["application_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_special_training_review_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_special_training_review_school_id"), ["school_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("special_training_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_special_training_review_school_id"))
        batch_op.drop_index(batch_op.f("ix_special_training_review_course_id"))
        batch_op.drop_index(batch_op.f("ix_special_training_review_application_id"))

    op.drop_table("special_training_review")
    with op.batch_alter_table("special_training_application", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_special_training_application_live",
            sqlite_where=sa.text("state <> '未通过'"),
            postgresql_where=sa.text("state <> '未通过'"),
        )
        batch_op.drop_index(batch_op.f("ix_special_training_application_teacher_id"))
        batch_op.drop_index(batch_op.f("ix_special_training_application_state"))
        batch_op.drop_index(batch_op.f("ix_special_training_application_school_id"))
        batch_op.drop_index(batch_op.f("ix_special_training_application_course_id"))

    op.drop_table("special_training_application")
    with op.batch_alter_table("school_admin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_admin_school_id"))

    op.drop_table("school_admin")
