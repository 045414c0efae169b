"""The back office: staff accounts and sessions, the audit log, internal order notes, answers to
disputes, reconciliation reports, and the indexes behind the staff's list of orders.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_INDEXES = (
    "ix_stripe_events_received_at",
    "ix_stripe_events_object_id",
    "ix_stripe_events_processed_at",
)
ORDER_INDEXES = (
    "ix_orders_fulfilment_status_status_created_at",
    "ix_orders_created_at_sales",
    "ix_orders_created_at_id",
    "ix_orders_email",
    "ix_orders_fulfilment_status_created_at_id",
    "ix_orders_status_created_at_id",
    "ix_orders_total_amount_id",
)
TABLES = (
    "dispute_responses",
    "staff_sessions",
    "reconcile_reports",
    "order_notes",
    "audit_entries",
    "staff_users",
)


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("password_token_hash", sa.String(length=64), nullable=True),
        sa.Column("password_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("recovery_codes", sa.Text(), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'staff')", name=op.f("ck_staff_users_role_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_users_email")),
        sa.UniqueConstraint("password_token_hash", name=op.f("uq_staff_users_password_token_hash")),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_email", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target_type", sa.String(length=40), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_audit_entries_staff_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index(
        "ix_audit_entries_created_at_id", "audit_entries", ["created_at", "id"], unique=False
    )
    op.create_index(op.f("ix_audit_entries_staff_id"), "audit_entries", ["staff_id"], unique=False)
    op.create_index(
        "ix_audit_entries_target", "audit_entries", ["target_type", "target_id"], unique=False
    )
    op.create_table(
        "order_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("author_email", sa.String(length=254), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_notes_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_order_notes_staff_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_notes")),
    )
    op.create_index(op.f("ix_order_notes_order_id"), "order_notes", ["order_id"], unique=False)
    op.create_table(
        "reconcile_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_email", sa.String(length=254), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("repaired", sa.Integer(), nullable=False),
        sa.Column("unknown", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_reconcile_reports_staff_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconcile_reports")),
    )
    op.create_index(
        op.f("ix_reconcile_reports_created_at"), "reconcile_reports", ["created_at"], unique=False
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("second_factor_done", sa.Boolean(), nullable=False),
        sa.Column("factor_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("authenticated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_sessions_staff_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_staff_sessions_staff_id"), "staff_sessions", ["staff_id"], unique=False
    )
    op.create_table(
        "dispute_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("evidence_due_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_dispute_responses_dispute_id_disputes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_dispute_responses_staff_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_responses")),
        sa.UniqueConstraint("dispute_id", name=op.f("uq_dispute_responses_dispute_id")),
    )
    op.create_index(
        op.f("ix_dispute_responses_evidence_due_by"),
        "dispute_responses",
        ["evidence_due_by"],
        unique=False,
    )
    op.create_index("ix_orders_created_at_id", "orders", ["created_at", "id"], unique=False)
    op.create_index("ix_orders_email", "orders", ["email"], unique=False)
    op.create_index(
        "ix_orders_fulfilment_status_created_at_id",
        "orders",
        ["fulfilment_status", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_orders_status_created_at_id", "orders", ["status", "created_at", "id"], unique=False
    )
    op.create_index("ix_orders_total_amount_id", "orders", ["total_amount", "id"], unique=False)
    op.create_index(
        "ix_orders_fulfilment_status_status_created_at",
        "orders",
        ["fulfilment_status", "status", "created_at"],
    )
    op.create_index(
        "ix_orders_created_at_sales", "orders", ["created_at", "status", "currency", "total_amount"]
    )
    for name in EVENT_INDEXES:
        op.create_index(name, "stripe_events", [name.removeprefix("ix_stripe_events_")])


def downgrade() -> None:
    for name in EVENT_INDEXES:
        op.drop_index(name, table_name="stripe_events")
    for name in ORDER_INDEXES:
        op.drop_index(name, table_name="orders")
    for table in TABLES:
        op.drop_table(table)
