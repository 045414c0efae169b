"""What customers are told: a payment attempt's failure in the card issuer's words (shown on the
order's timeline), and each email's HTML beside its text.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-11
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("failure_message", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("emails") as batch:
        batch.add_column(sa.Column("html", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("emails") as batch:
        batch.drop_column("html")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("failed_at")
        batch.drop_column("failure_message")
