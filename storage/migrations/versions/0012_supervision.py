"""supervision: milestones, pace, extensions per binding, rectification (issue 22)

Revision ID: 0012_supervision
Revises: 0007_scale
Create Date: 2026-12-03 18:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0012_supervision"
down_revision: str | None = "0011_yearend"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("item") as batch:
        batch.add_column(sa.Column("milestones", sa.JSON(), server_default="[]", nullable=False))
        batch.add_column(
            sa.Column("pace_target", sa.Numeric(precision=14, scale=4), nullable=True)
        )
    with op.batch_alter_table("campaign") as batch:
        batch.add_column(sa.Column("starts_on", sa.Date(), nullable=True))
    with op.batch_alter_table("binding") as batch:
        batch.add_column(sa.Column("extended_due", sa.Date(), nullable=True))
        batch.add_column(sa.Column("rectification_due", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("rectification_measures", sa.Text(), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("progress_value", sa.Numeric(precision=14, scale=4), nullable=True)
        )
    op.create_table(
        "extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("binding_id", sa.Integer(), nullable=False),
        sa.Column("original_due", sa.Date(), nullable=True),
        sa.Column("requested_due", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=False),
        sa.Column("requested_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["binding_id"], ["binding.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_extension_binding", "extension", ["binding_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_extension_binding", table_name="extension")
    op.drop_table("extension")
    with op.batch_alter_table("binding") as batch:
        batch.drop_column("progress_value")
        batch.drop_column("rectification_measures")
        batch.drop_column("rectification_due")
        batch.drop_column("extended_due")
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("starts_on")
    with op.batch_alter_table("item") as batch:
        batch.drop_column("pace_target")
        batch.drop_column("milestones")
