"""scoring: scheme, points per binding, item scores, deductions, bonus/penalty, vetoes,
the score audit log (issue 20)

Revision ID: 0010_scoring
Revises: 0007_scale
Create Date: 2026-12-03 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0010_scoring"
down_revision: str | None = "0007_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "scoring_scheme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("common_share", sa.Numeric(8, 2), nullable=False),
        sa.Column("own_share", sa.Numeric(8, 2), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.Column("grade_on", sa.String(length=10), nullable=False),
        sa.Column("bonus_cap", sa.Numeric(8, 2), nullable=False),
        sa.Column("penalty_cap", sa.Numeric(8, 2), nullable=False),
        sa.Column("supporting_counts", sa.Boolean(), nullable=False),
        sa.Column("supporting_share", sa.Numeric(4, 2), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.BigInteger(), nullable=True),
        sa.Column("confirmed_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_scoring_scheme_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_scheme")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_scoring_scheme_campaign_id")),
    )
    op.create_table(
        "veto_condition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("effect", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_veto_condition_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_veto_condition")),
        sa.UniqueConstraint("campaign_id", "code", name=op.f("uq_veto_condition_campaign_id")),
    )
    op.create_table(
        "binding_points",
        sa.Column("binding_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Numeric(8, 2), nullable=False),
        sa.Column("set_by", sa.BigInteger(), nullable=True),
        sa.Column("set_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["binding.id"],
            name=op.f("fk_binding_points_binding_id_binding"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_binding_points_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("binding_id", name=op.f("pk_binding_points")),
    )
    op.create_index(
        op.f("ix_binding_points_campaign_id"), "binding_points", ["campaign_id"], unique=False
    )
    op.create_table(
        "item_score",
        sa.Column("binding_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("scored_by", sa.BigInteger(), nullable=True),
        sa.Column("scored_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["binding.id"],
            name=op.f("fk_item_score_binding_id_binding"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_item_score_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("binding_id", name=op.f("pk_item_score")),
    )
    op.create_index(op.f("ix_item_score_campaign_id"), "item_score", ["campaign_id"], unique=False)
    op.create_table(
        "deduction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("binding_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(8, 2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["binding.id"],
            name=op.f("fk_deduction_binding_id_binding"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_deduction_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deduction")),
    )
    op.create_index("ix_deduction_binding_state", "deduction", ["binding_id", "state"], unique=False)
    op.create_index(op.f("ix_deduction_campaign_id"), "deduction", ["campaign_id"], unique=False)
    op.create_table(
        "score_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Numeric(8, 2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("withdrawn_by", sa.BigInteger(), nullable=True),
        sa.Column("withdrawn_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_score_adjustment_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_score_adjustment_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_adjustment")),
    )
    op.create_index(
        "ix_score_adjustment_campaign_department",
        "score_adjustment",
        ["campaign_id", "department_id"],
        unique=False,
    )
    op.create_table(
        "veto_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("confirmed_by_body", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("withdrawn_by", sa.BigInteger(), nullable=True),
        sa.Column("withdrawn_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_veto_record_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["veto_condition.id"],
            name=op.f("fk_veto_record_condition_id_veto_condition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_veto_record_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_veto_record")),
    )
    op.create_index(
        "ix_veto_record_campaign_department",
        "veto_record",
        ["campaign_id", "department_id"],
        unique=False,
    )
    op.create_table(
        "score_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.Column("actor_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("binding_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["binding.id"],
            name=op.f("fk_score_audit_binding_id_binding"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_score_audit_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_score_audit_department_id_department"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_audit")),
    )
    op.create_index(op.f("ix_score_audit_binding_id"), "score_audit", ["binding_id"], unique=False)
    op.create_index("ix_score_audit_campaign_at", "score_audit", ["campaign_id", "at"], unique=False)
    op.create_index(
        op.f("ix_score_audit_department_id"), "score_audit", ["department_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("score_audit")
    op.drop_table("veto_record")
    op.drop_table("score_adjustment")
    op.drop_table("deduction")
    op.drop_table("item_score")
    op.drop_table("binding_points")
    op.drop_table("veto_condition")
    op.drop_table("scoring_scheme")
