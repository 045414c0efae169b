"""The shop's tables: the catalog, orders and what happens to them, Stripe's events and the email
outbox; the back office's staff, audit log, notes and reports."""

from .base import NAMING_CONVENTION, Base, UTCDateTime, new_order_token, utcnow
from .catalog import Book, CatalogVersion, ShippingOption
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
from .staff import (
    STAFF_ROLES,
    AuditEntry,
    DisputeResponse,
    OrderNote,
    ReconcileReport,
    StaffSession,
    StaffUser,
)

__all__ = [
    "NAMING_CONVENTION",
    "STAFF_ROLES",
    "AuditEntry",
    "Base",
    "Book",
    "CatalogVersion",
    "Dispute",
    "DisputeResponse",
    "Email",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderNote",
    "Payment",
    "ReconcileReport",
    "Refund",
    "RefundLine",
    "Shipment",
    "ShipmentLine",
    "ShippingOption",
    "StaffSession",
    "StaffUser",
    "StripeEvent",
    "UTCDateTime",
    "new_order_token",
    "utcnow",
]
