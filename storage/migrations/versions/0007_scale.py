"""export runs: background /export progress, restarts, one-time download links

Revision ID: 0007_scale
Revises: 0003_item_details
Create Date: 2026-12-01 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0007_scale"
down_revision: str | None = "0003_item_details"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "export_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("admin_tg_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("started_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("file_path", sa.String(length=500), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("token_used_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_run")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_export_run_token_sha256")),
    )
    with op.batch_alter_table("export_run", schema=None) as batch_op:
        batch_op.create_index(
            "ix_export_run_state_heartbeat", ["state", "heartbeat_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("export_run", schema=None) as batch_op:
        batch_op.drop_index("ix_export_run_state_heartbeat")
    op.drop_table("export_run")
