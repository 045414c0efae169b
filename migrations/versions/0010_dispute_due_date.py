"""A dispute's evidence due date lives on the dispute, kept from Stripe's webhooks, rather than
on the staff's answer (which exists only once evidence is sent).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-16
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPY_TO_DISPUTES = """
UPDATE disputes SET evidence_due_by = (
    SELECT r.evidence_due_by FROM dispute_responses r WHERE r.dispute_id = disputes.id
)
"""
COPY_TO_RESPONSES = """
UPDATE dispute_responses SET evidence_due_by = (
    SELECT d.evidence_due_by FROM disputes d WHERE d.id = dispute_responses.dispute_id
)
"""


def upgrade() -> None:
    with op.batch_alter_table("disputes") as batch:
        batch.add_column(sa.Column("evidence_due_by", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(op.f("ix_disputes_evidence_due_by"), ["evidence_due_by"], unique=False)
    op.execute(COPY_TO_DISPUTES)
    with op.batch_alter_table("dispute_responses") as batch:
        batch.drop_index(op.f("ix_dispute_responses_evidence_due_by"))
        batch.drop_column("evidence_due_by")


def downgrade() -> None:
    with op.batch_alter_table("dispute_responses") as batch:
        batch.add_column(sa.Column("evidence_due_by", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(
            op.f("ix_dispute_responses_evidence_due_by"), ["evidence_due_by"], unique=False
        )
    op.execute(COPY_TO_RESPONSES)
    with op.batch_alter_table("disputes") as batch:
        batch.drop_index(op.f("ix_disputes_evidence_due_by"))
        batch.drop_column("evidence_due_by")
