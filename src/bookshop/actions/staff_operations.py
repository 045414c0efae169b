"""Staff work on the payments side: answering disputes with evidence through Stripe, processing
failed webhook events again, and reconciling with Stripe over a window (the report kept)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import orders, payments, webhooks
from .. import reconcile as reconciliation
from ..models import Dispute, DisputeResponse, ReconcileReport, utcnow
from ..orders import OrderError
from .staff import Actor, audit

log = logging.getLogger(__name__)

# The evidence that matters for books sent by post, as Stripe names the fields.
EVIDENCE_FIELDS = (
    "product_description",
    "customer_name",
    "customer_email_address",
    "shipping_address",
    "shipping_carrier",
    "shipping_tracking_number",
    "shipping_date",
    "customer_communication",
    "uncategorized_text",
)
EVIDENCE_LIMIT = 20_000  # Stripe's limit on all text evidence together
ANSWERABLE = ("needs_response", "warning_needs_response")
LONGEST_WINDOW_DAYS = 90


def response_for(session: Session, dispute: Dispute) -> DisputeResponse:
    """The dispute's answer row (made on first use)."""
    row = session.scalar(select(DisputeResponse).where(DisputeResponse.dispute_id == dispute.id))
    if row is None:
        row = DisputeResponse(dispute=dispute)
        session.add(row)
    return row


def refresh_dispute(session: Session, dispute: Dispute) -> None:
    """Read the dispute from Stripe (its due date and status), as a webhook would; committed."""
    session.commit()  # no transaction stays open across the call
    found = payments.retrieve_dispute(dispute.stripe_dispute_id)
    orders.dispute_updated(session, found)
    session.commit()


def submit_evidence(
    session: Session, actor: Actor, dispute: Dispute, evidence: Mapping[str, str], submit: bool
) -> Dispute:
    """Send the evidence to Stripe (as a draft, or submitted to the bank), then keep a copy."""
    if dispute.status not in ANSWERABLE:
        raise OrderError("This dispute no longer takes evidence.")
    fields = {name: str(evidence.get(name, "")).strip() for name in EVIDENCE_FIELDS}
    fields = {name: value for name, value in fields.items() if value}
    if not fields:
        raise OrderError("Please fill in at least one field of evidence.")
    if sum(len(value) for value in fields.values()) > EVIDENCE_LIMIT:
        raise OrderError(f"Stripe takes at most {EVIDENCE_LIMIT:,} characters of evidence.")
    sent = for_stripe(fields)
    # A double click sends the same evidence over the same last copy: one update at Stripe. Going
    # back to an earlier draft starts from another copy, so it is sent again.
    last = response_for(session, dispute).evidence
    digest = hashlib.sha256(json.dumps([last, sent, submit], sort_keys=True).encode()).hexdigest()
    session.commit()
    found = payments.update_dispute(
        dispute.stripe_dispute_id,
        sent,
        submit,
        idempotency_key=f"dispute-{dispute.stripe_dispute_id}-{digest[:32]}",
    )
    row = response_for(session, dispute)
    before = {"status": dispute.status, "submitted": row.submitted_at is not None}
    orders.dispute_updated(session, found)
    row.evidence = json.dumps(fields, sort_keys=True)
    row.staff_id = actor.staff_id
    if submit:
        row.submitted_at = utcnow()
    audit(
        session,
        actor,
        "dispute.submit" if submit else "dispute.save_evidence",
        ("dispute", dispute.stripe_dispute_id),
        before,
        {"status": found.status, "submitted": submit, "fields": sorted(fields)},
    )
    session.commit()
    return dispute


def for_stripe(fields: Mapping[str, str]) -> dict[str, str]:
    """The evidence as Stripe takes it: customer communication is a file upload there, so the
    words pasted here go with the other text."""
    sent = dict(fields)
    words = sent.pop("customer_communication", "")
    if words:
        parts = [sent.get("uncategorized_text", ""), f"Communication with the customer:\n{words}"]
        sent["uncategorized_text"] = "\n\n".join(part for part in parts if part)
    return sent


def reprocess_event(session: Session, actor: Actor, event_id: str) -> webhooks.Outcome:
    """Process one failed event again, as `python -m bookshop reprocess-events evt_…` does."""
    results = webhooks.reprocess_failed(session, 1, [event_id])
    if not results:
        raise OrderError("This event is not waiting to be processed again.")
    _, outcome = results[0]
    audit(session, actor, "event.reprocess", ("event", event_id), None, {"outcome": outcome})
    session.commit()
    return outcome


def run_reconcile(
    session: Session, actor: Actor, since: datetime, until: datetime
) -> ReconcileReport:
    """Reconcile Stripe's objects created in [since, until) with the orders; the report is kept."""
    if since >= until:
        raise OrderError("The start must be before the end.")
    if (until - since).days > LONGEST_WINDOW_DAYS:
        raise OrderError(f"Reconcile at most {LONGEST_WINDOW_DAYS} days at a time.")
    report = reconciliation.reconcile(session, since, until)
    verdicts = reconciliation.Verdict
    row = ReconcileReport(
        staff_id=actor.staff_id,
        staff_email=actor.email,
        since=since,
        until=until,
        matched=report.count(verdict=verdicts.MATCHED),
        repaired=report.count(verdict=verdicts.REPAIRED),
        unknown=report.count(verdict=verdicts.UNKNOWN),
        failed=report.count(verdict=verdicts.FAILED),
        body=report.render(),
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "reconcile.run",
        ("reconcile_report", row.id),
        None,
        {"since": since, "until": until, "repaired": row.repaired, "failed": row.failed},
    )
    session.commit()
    return row
