"""warnings: on-the-spot warnings said before any violation was confirmed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 03:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warnings",
        sa.Column("event_id", sa.String(length=160), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("t_s", sa.Float(), nullable=False),
        sa.Column("t_start_s", sa.Float(), nullable=False),
        sa.Column("wall", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bbox", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("warnings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_warnings_camera_id"), ["camera_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_warnings_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_warnings_wall"), ["wall"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("warnings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warnings_wall"))
        batch_op.drop_index(batch_op.f("ix_warnings_community_id"))
        batch_op.drop_index(batch_op.f("ix_warnings_camera_id"))
    op.drop_table("warnings")
