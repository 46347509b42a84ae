"""item details from table documents: score, standard, binding role (issue 14)

Revision ID: 0003_item_details
Revises: 0002_intake
Create Date: 2026-12-01 09:10:00

Existing rows keep working: items get no score and an empty standard, every
binding becomes a lead binding (what all bindings were before), by server
defaults. batch_alter_table lets SQLite add the columns too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_item_details"
down_revision: str | None = "0002_intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score", sa.Numeric(precision=8, scale=2), nullable=True))
        batch_op.add_column(sa.Column("standard", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("binding", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=12), server_default="lead", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("binding", schema=None) as batch_op:
        batch_op.drop_column("role")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_column("standard")
        batch_op.drop_column("score")
