"""An index on the outbox's sent_at: senders find the unsent emails without reading them all.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_emails_sent_at"), "emails", ["sent_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_emails_sent_at"), table_name="emails")
