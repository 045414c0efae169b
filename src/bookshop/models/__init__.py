"""The shop's tables: the catalog, orders and what happens to them, Stripe's events and the email
outbox."""

from .base import NAMING_CONVENTION, Base, UTCDateTime, new_order_token, utcnow
from .catalog import Book, ShippingOption
from .orders import (
    Dispute,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Refund,
    RefundLine,
    Shipment,
    ShipmentLine,
)
from .records import Email, StripeEvent

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "Book",
    "Dispute",
    "Email",
    "Order",
    "OrderEvent",
    "OrderLine",
    "Payment",
    "Refund",
    "RefundLine",
    "Shipment",
    "ShipmentLine",
    "ShippingOption",
    "StripeEvent",
    "UTCDateTime",
    "new_order_token",
    "utcnow",
]
