"""Stock, order tokens and expiry, the refund ledger, disputes, richer Stripe events, the outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("books") as batch:
        batch.add_column(
            sa.Column("stock", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.create_check_constraint(op.f("ck_books_stock_not_negative"), "stock >= 0")

    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("token", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("browser_id", sa.String(length=64), nullable=True))
        batch.add_column(_timestamp("expires_at", nullable=True))
    # Orders placed before tokens existed get one each, so every order has a private URL.
    connection = op.get_bind()
    orders = sa.table("orders", sa.column("id", sa.Integer), sa.column("token", sa.String))
    for (order_id,) in connection.execute(sa.select(orders.c.id)).all():
        connection.execute(
            orders.update().where(orders.c.id == order_id).values(token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("token", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f("uq_orders_token"), ["token"])
        batch.create_index(op.f("ix_orders_browser_id"), ["browser_id"])

    with op.batch_alter_table("stripe_events") as batch:
        batch.add_column(_timestamp("api_created", nullable=True))
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch.add_column(_timestamp("processed_at", nullable=True))
        batch.add_column(
            sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))

    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("stripe_refund_id", sa.String(length=255), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_refunds_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_refunds_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_refunds_idempotency_key")),
        sa.UniqueConstraint("stripe_refund_id", name=op.f("uq_refunds_stripe_refund_id")),
    )
    op.create_index(op.f("ix_refunds_order_id"), "refunds", ["order_id"])
    op.create_index(op.f("ix_refunds_payment_id"), "refunds", ["payment_id"])

    op.create_table(
        "refund_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_refund_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_refund_lines_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["refunds.id"],
            name=op.f("fk_refund_lines_refund_id_refunds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_lines")),
    )
    op.create_index(op.f("ix_refund_lines_order_line_id"), "refund_lines", ["order_line_id"])
    op.create_index(op.f("ix_refund_lines_refund_id"), "refund_lines", ["refund_id"])

    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("stripe_dispute_id", sa.String(length=255), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_disputes_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_disputes_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("stripe_dispute_id", name=op.f("uq_disputes_stripe_dispute_id")),
    )
    op.create_index(op.f("ix_disputes_order_id"), "disputes", ["order_id"])
    op.create_index(op.f("ix_disputes_payment_id"), "disputes", ["payment_id"])

    op.create_table(
        "emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _timestamp("created_at"),
        _timestamp("sent_at", nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_emails_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emails")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_emails_dedupe_key")),
    )
    op.create_index(op.f("ix_emails_order_id"), "emails", ["order_id"])


def downgrade() -> None:
    op.drop_table("emails")
    op.drop_table("disputes")
    op.drop_table("refund_lines")
    op.drop_table("refunds")
    with op.batch_alter_table("stripe_events") as batch:
        batch.drop_column("last_error")
        batch.drop_column("attempts")
        batch.drop_column("processed_at")
        batch.drop_column("payload")
        batch.drop_column("api_created")
    with op.batch_alter_table("orders") as batch:
        batch.drop_index(op.f("ix_orders_browser_id"))
        batch.drop_constraint(op.f("uq_orders_token"), type_="unique")
        batch.drop_column("expires_at")
        batch.drop_column("browser_id")
        batch.drop_column("token")
    with op.batch_alter_table("books") as batch:
        batch.drop_constraint(op.f("ck_books_stock_not_negative"), type_="check")
        batch.drop_column("stock")
