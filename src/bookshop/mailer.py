"""The email outbox: emails queued in the order's transaction (one per event, by a unique key),
sent by SMTP, or written as .eml files when no SMTP host is set: by the worker's send_emails job
when there is a job queue, otherwise right after the request. What each email says lives in
emails.py."""

from __future__ import annotations

import functools
import logging
import smtplib
import socket
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .models import Email, Order, utcnow

log = logging.getLogger(__name__)

_QUEUED_FLAG = "bookshop.emails_queued"


# --- queueing (inside the order's transaction) ------------------------------------------------


def queue_email(
    session: Session,
    order: Order | None,
    kind: str,
    dedupe_key: str,
    subject: str,
    body: str,
    html: str | None = None,
) -> Email | None:
    """Add an email (its text, and its HTML when there is one) to the outbox unless one with
    this key exists; None when it does."""
    exists = session.scalar(select(Email.id).where(Email.dedupe_key == dedupe_key))
    if exists is not None:
        return None
    email = Email(
        order=order,
        kind=kind,
        dedupe_key=dedupe_key,
        to_address=order.email if order is not None else "",
        subject=subject[:200],
        body=body,
        html=html,
    )
    session.add(email)
    session.info[_QUEUED_FLAG] = True
    return email


# --- sending (after commit) -------------------------------------------------------------------


def deliver_pending(session: Session, config: dict[str, Any] | None = None, limit: int = 50) -> int:
    """Send unsent emails; each is claimed first so two senders never send the same one.

    Returns how many were sent. A failure clears the claim and records the error, for the next
    run (`python -m bookshop send-emails`).
    """
    cfg = config if config is not None else current_app.config
    session.commit()
    # Read once, with their content (which never changes): the claim below is what counts.
    pending = list(
        session.scalars(
            select(Email).where(Email.sent_at.is_(None)).order_by(Email.id).limit(limit)
        )
    )
    sent = 0
    for email in pending:
        email_id = email.id
        claimed = session.execute(
            update(Email)
            .where(Email.id == email_id, Email.sent_at.is_(None))
            .values(sent_at=utcnow(), attempts=Email.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another sender took it
        session.expire(email, ["sent_at", "attempts", "last_error"])  # now the claim's values
        try:
            send(build_message(email, cfg), cfg)
            sent += 1
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("email %s to order %s not sent: %s", email.id, email.order_id, exc)
            session.execute(
                update(Email)
                .where(Email.id == email_id)
                .values(sent_at=None, last_error=str(exc)[:1000])
                .execution_options(synchronize_session=False)
            )
            session.commit()
    return sent


def build_message(email: Email, cfg: Any) -> EmailMessage:
    """The MIME message for an outbox row."""
    message = EmailMessage()
    message["From"] = cfg.get("MAIL_FROM") or "Bookshop <orders@bookshop.invalid>"
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at)
    message["Message-ID"] = make_msgid(
        idstring=email.dedupe_key.replace(":", "-"), domain=_message_id_domain()
    )
    message["X-Bookshop-Email"] = email.dedupe_key
    message.set_content(email.body)
    if email.html:
        message.add_alternative(email.html, subtype="html")  # mail clients pick what they show
    return message


@functools.cache
def _message_id_domain() -> str:
    # What make_msgid uses by default, looked up once (a resolver call for every email otherwise).
    return socket.getfqdn()


def send(message: EmailMessage, cfg: Any) -> None:
    """Hand a message to the SMTP server, or write it to the outbox folder in local mode."""
    host = cfg.get("SMTP_HOST")
    if not host:
        folder = Path(cfg.get("OUTBOX_DIR") or Path(cfg["INSTANCE_PATH"]) / "outbox")
        name = str(message["X-Bookshop-Email"]).replace(":", "-")
        data = bytes(message)
        try:
            (folder / f"{name}.eml").write_bytes(data)
        except FileNotFoundError:  # the first email: make the folder, once
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.eml").write_bytes(data)
        return
    port = int(cfg.get("SMTP_PORT") or 587)
    timeout = float(cfg.get("SMTP_TIMEOUT") or 10)
    smtp_class = smtplib.SMTP_SSL if cfg.get("SMTP_SSL") else smtplib.SMTP
    with smtp_class(host, port, timeout=timeout) as smtp:
        if cfg.get("SMTP_STARTTLS") and smtp_class is smtplib.SMTP:
            smtp.starttls()
        if cfg.get("SMTP_USERNAME"):
            smtp.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)


def init_app(app: Flask) -> None:
    """Send what a request queued once it has committed, right after the response is made; with
    a job queue (REDIS_URL) the worker's send_emails job sends it instead."""
    if app.config.get("REDIS_URL"):
        # The row is already in the outbox, committed with the order: the worker sends it on
        # its next run, so the customer never waits on SMTP and the web process needs no queue.
        return

    @app.after_request
    def _deliver_queued(response: Response) -> Response:
        session: Session | None = g.get("db_session")
        if session is not None and session.info.pop(_QUEUED_FLAG, False):
            try:
                deliver_pending(session)
            except Exception:  # never fail the customer's request over an email
                session.rollback()
                log.exception("sending queued emails failed; they stay in the outbox")
        return response
