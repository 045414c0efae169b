"""Delivery: shipping options, the order's address and shipping line, fulfilment status apart from
the money, shipments, authorizations (capture on dispatch) and the timeline's two tracks.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _zero(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "shipping_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("countries", sa.Text(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("free_from_amount", sa.Integer(), nullable=True),
        sa.Column("min_days", sa.Integer(), nullable=False),
        sa.Column("max_days", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_shipping_options_amount_not_negative")),
        sa.CheckConstraint(
            "min_days > 0 AND max_days >= min_days", name=op.f("ck_shipping_options_days_ordered")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_options")),
        sa.UniqueConstraint("code", name=op.f("uq_shipping_options_code")),
    )

    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column(
                "fulfilment_status",
                sa.String(length=32),
                server_default=sa.text("'unfulfilled'"),
                nullable=False,
            )
        )
        batch.add_column(
            sa.Column(
                "capture_method",
                sa.String(length=16),
                server_default=sa.text("'automatic'"),
                nullable=False,
            )
        )
        batch.add_column(sa.Column("shipping_option", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("shipping_label", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("shipping_estimate", sa.String(length=100), nullable=True))
        batch.add_column(_zero("shipping_amount"))
        for name, length in (
            ("ship_to_name", 100),
            ("ship_to_phone", 30),
            ("ship_to_line1", 100),
            ("ship_to_line2", 100),
            ("ship_to_city", 60),
            ("ship_to_state", 60),
            ("ship_to_postal_code", 20),
            ("ship_to_country", 2),
        ):
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))
        batch.create_index(op.f("ix_orders_fulfilment_status"), ["fulfilment_status"])

    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(_zero("canceled_quantity"))
        batch.add_column(_zero("shipped_quantity"))
        batch.create_check_constraint(
            op.f("ck_order_lines_quantities_consistent"),
            "canceled_quantity >= 0 AND shipped_quantity >= 0 "
            "AND canceled_quantity + shipped_quantity <= quantity",
        )

    with op.batch_alter_table("payments") as batch:
        batch.add_column(_zero("amount_capturable"))
        batch.add_column(sa.Column("capture_before", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(op.f("ix_payments_capture_before"), ["capture_before"])

    with op.batch_alter_table("order_events") as batch:
        batch.add_column(
            sa.Column("track", sa.String(length=16), server_default="payment", nullable=False)
        )

    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=60), nullable=False),
        sa.Column("tracking_number", sa.String(length=60), nullable=False),
        sa.Column("tracking_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_shipments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    op.create_index(op.f("ix_shipments_order_id"), "shipments", ["order_id"])
    op.create_table(
        "shipment_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_shipment_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_shipment_lines_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipment_lines_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_lines")),
    )
    op.create_index(op.f("ix_shipment_lines_shipment_id"), "shipment_lines", ["shipment_id"])
    op.create_index(op.f("ix_shipment_lines_order_line_id"), "shipment_lines", ["order_line_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_shipment_lines_order_line_id"), table_name="shipment_lines")
    op.drop_index(op.f("ix_shipment_lines_shipment_id"), table_name="shipment_lines")
    op.drop_table("shipment_lines")
    op.drop_index(op.f("ix_shipments_order_id"), table_name="shipments")
    op.drop_table("shipments")
    with op.batch_alter_table("order_events") as batch:
        batch.drop_column("track")
    with op.batch_alter_table("payments") as batch:
        batch.drop_index(op.f("ix_payments_capture_before"))
        batch.drop_column("capture_before")
        batch.drop_column("amount_capturable")
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_constraint(op.f("ck_order_lines_quantities_consistent"), type_="check")
        batch.drop_column("shipped_quantity")
        batch.drop_column("canceled_quantity")
    with op.batch_alter_table("orders") as batch:
        batch.drop_index(op.f("ix_orders_fulfilment_status"))
        for name in (
            "ship_to_country",
            "ship_to_postal_code",
            "ship_to_state",
            "ship_to_city",
            "ship_to_line2",
            "ship_to_line1",
            "ship_to_phone",
            "ship_to_name",
            "shipping_amount",
            "shipping_estimate",
            "shipping_label",
            "shipping_option",
            "capture_method",
            "fulfilment_status",
        ):
            batch.drop_column(name)
    op.drop_table("shipping_options")
