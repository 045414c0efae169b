"""Hosted Checkout: an order keeps its latest Checkout Session, so that resuming, canceling and
expiring it reach the session on Stripe's side.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("checkout_session_id", sa.String(length=255), nullable=True))
        batch.create_unique_constraint(
            op.f("uq_orders_checkout_session_id"), ["checkout_session_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint(op.f("uq_orders_checkout_session_id"), type_="unique")
        batch.drop_column("checkout_session_id")
