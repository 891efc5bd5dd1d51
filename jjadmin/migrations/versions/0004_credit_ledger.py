"""credit ledger and certificates

- credit_record becomes the ledger: one row per (teacher, source, source_ref) — a grade's
  source_ref is the course id (a course is never counted twice), a declaration's its id, the
  ability project's the period code; `batch_id` (the import that posted it, undo reverses it);
  grade_id / declaration_id go (the key replaces them); a covering (year, teacher_id,
  hour_type, hours, training_level) index for 年度验证 replaces the year index, and the unique key
  (teacher_id first) the teacher_id index.
- grade: `version` (a re-grade bumps it; batch undo checks it).
- certificate: 学习证明 with its verification code.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import jjadmin.models.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grade", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("grade", schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)
    with op.batch_alter_table("credit_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_ref", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
    # rows written before the ledger keep what they came from
    op.execute(
        "UPDATE credit_record SET source_ref = COALESCE("
        "(SELECT CAST(e.course_id AS VARCHAR(40)) FROM grade g"
        " JOIN enrollment e ON e.id = g.enrollment_id WHERE g.id = credit_record.grade_id),"
        " CAST(declaration_id AS VARCHAR(40)), CAST(id AS VARCHAR(40)))"
    )
    with op.batch_alter_table("credit_record", schema=None) as batch_op:
        batch_op.alter_column("source_ref", existing_type=sa.String(length=40), nullable=False)
        batch_op.drop_constraint("uq_credit_record_grade_id", type_="unique")
        batch_op.drop_constraint("uq_credit_record_declaration_id", type_="unique")
        batch_op.drop_constraint("fk_credit_record_grade_id_grade", type_="foreignkey")
        batch_op.drop_constraint(
            "fk_credit_record_declaration_id_credit_declaration", type_="foreignkey"
        )
        batch_op.drop_column("grade_id")
        batch_op.drop_column("declaration_id")
        batch_op.drop_index("ix_credit_record_year")
        batch_op.drop_index("ix_credit_record_teacher_id")  # the unique key leads with it
        batch_op.create_foreign_key(
            "fk_credit_record_batch_id_import_batch", "import_batch", ["batch_id"], ["id"]
        )
        batch_op.create_unique_constraint(
            "uq_credit_record_teacher_id_source_source_ref", ["teacher_id", "source", "source_ref"]
        )
        batch_op.create_index("ix_credit_record_batch_id", ["batch_id"], unique=False)
        batch_op.create_index(
            "ix_credit_record_year_teacher",
            ["year", "teacher_id", "hour_type", "hours", "training_level"],
            unique=False,
        )

    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("learner_no", sa.String(length=14), nullable=False),
        sa.Column("teacher_name", sa.String(length=40), nullable=False),
        sa.Column("school_name", sa.String(length=100), nullable=False),
        sa.Column("course_code", sa.String(length=20), nullable=False),
        sa.Column("course_name", sa.String(length=200), nullable=False),
        sa.Column("hours", sa.Numeric(precision=7, scale=1), nullable=False),
        sa.Column("hour_type", sa.String(length=10), nullable=False),
        sa.Column("issuer", sa.String(length=100), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("issued_at", jjadmin.models.base.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_certificate_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["account.id"], name=op.f("fk_certificate_issued_by_account")
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"], ["teacher.id"], name=op.f("fk_certificate_teacher_id_teacher")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("code", name=op.f("uq_certificate_code")),
        sa.UniqueConstraint(
            "teacher_id", "course_id", name=op.f("uq_certificate_teacher_id_course_id")
        ),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_course_id", ["course_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_course_id")
    op.drop_table("certificate")

    with op.batch_alter_table("credit_record", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_record_year_teacher")
        batch_op.drop_index("ix_credit_record_batch_id")
        batch_op.drop_constraint("uq_credit_record_teacher_id_source_source_ref", type_="unique")
        batch_op.drop_constraint("fk_credit_record_batch_id_import_batch", type_="foreignkey")
        batch_op.add_column(sa.Column("grade_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("declaration_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_credit_record_year", ["year"], unique=False)
        batch_op.create_index("ix_credit_record_teacher_id", ["teacher_id"], unique=False)
    op.execute(
        "UPDATE credit_record SET declaration_id = CAST(source_ref AS INTEGER)"
        " WHERE source = 'declaration'"
    )
    with op.batch_alter_table("credit_record", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_credit_record_grade_id_grade", "grade", ["grade_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_credit_record_declaration_id_credit_declaration",
            "credit_declaration",
            ["declaration_id"],
            ["id"],
        )
        batch_op.create_unique_constraint("uq_credit_record_grade_id", ["grade_id"])
        batch_op.create_unique_constraint("uq_credit_record_declaration_id", ["declaration_id"])
        batch_op.drop_column("batch_id")
        batch_op.drop_column("source_ref")
    with op.batch_alter_table("grade", schema=None) as batch_op:
        batch_op.drop_column("version")
