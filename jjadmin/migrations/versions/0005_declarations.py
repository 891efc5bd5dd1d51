"""declarations: many proofs per declaration, imported declarations, each round as reviewed

- credit_declaration_attachment: the files proving a declaration (证明材料), many per
  declaration, each with the round it came with; replaces credit_declaration.attachment_id.
- credit_declaration: `proof` (证明材料 as a 学时申报 sheet writes it), `batch_id` (the import
  that created it, for `batch undo`); the state values are the seed's words (待初审 …).
- credit_review: `declared`, the declaration as the reviewer saw it (每一轮的申报信息).

Revision ID: 0005
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_declaration_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
            name=op.f("fk_credit_declaration_attachment_attachment_id_attachment"),
        ),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["credit_declaration.id"],
            name=op.f("fk_credit_declaration_attachment_declaration_id_credit_declaration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_declaration_attachment")),
        sa.UniqueConstraint(
            "declaration_id",
            "attachment_id",
            name=op.f("uq_credit_declaration_attachment_declaration_id_attachment_id"),
        ),
    )
    with op.batch_alter_table("credit_declaration_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_declaration_attachment_declaration_id"),
            ["declaration_id"],
            unique=False,
        )
    # a declaration's single proof moves to the link table
    op.execute(
        "INSERT INTO credit_declaration_attachment (declaration_id, attachment_id, round) "
        "SELECT id, attachment_id, round FROM credit_declaration WHERE attachment_id IS NOT NULL"
    )
    with op.batch_alter_table("credit_declaration", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_credit_declaration_attachment_id_attachment", type_="foreignkey"
        )
        batch_op.drop_column("attachment_id")
        batch_op.add_column(sa.Column("proof", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_credit_declaration_batch_id"), ["batch_id"], unique=False
        )
    op.execute("UPDATE credit_declaration SET state = '待初审' WHERE state = 'submitted'")
    with op.batch_alter_table("credit_review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declared", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credit_review", schema=None) as batch_op:
        batch_op.drop_column("declared")
    op.execute("UPDATE credit_declaration SET state = 'submitted' WHERE state = '待初审'")
    with op.batch_alter_table("credit_declaration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_declaration_batch_id"))
        batch_op.drop_column("batch_id")
        batch_op.drop_column("proof")
        batch_op.add_column(sa.Column("attachment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_credit_declaration_attachment_id_attachment",
            "attachment",
            ["attachment_id"],
            ["id"],
        )
    op.execute(
        "UPDATE credit_declaration SET attachment_id = (SELECT min(l.attachment_id) "
        "FROM credit_declaration_attachment l WHERE l.declaration_id = credit_declaration.id)"
    )
    with op.batch_alter_table("credit_declaration_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_declaration_attachment_declaration_id"))
    op.drop_table("credit_declaration_attachment")
