"""Stripe webhook events: received (verified, recorded, claimed once) and dispatched by type to
handlers that apply them through the Stripe-sync layer."""

from .handlers import HANDLERS, Handler
from .receiving import (
    Outcome,
    RecentlyProcessed,
    process,
    receive,
    record,
    reprocess_failed,
    reprocess_stalled,
    signing_secrets,
)

__all__ = [
    "HANDLERS",
    "Handler",
    "Outcome",
    "RecentlyProcessed",
    "process",
    "receive",
    "record",
    "reprocess_failed",
    "reprocess_stalled",
    "signing_secrets",
]
