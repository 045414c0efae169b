"""Pages a customer sees on "Stripe": Stripe.js, the 3-D Secure page, hosted Checkout."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from markupsafe import escape

from . import currencies
from .core import Ctx, Emulator
from .errors import CardError, StripeError
from .resources import checkout_sessions, payment_flow

STATIC = Path(__file__).parent / "static"
blueprint = Blueprint(
    "pages", __name__, static_folder="static", static_url_path="/_emulator/static"
)


def _ctx() -> Ctx:
    em: Emulator = current_app.extensions["emulator"]
    return Ctx(em=em, base_url=request.host_url.rstrip("/"))


def _wake(ctx: Ctx) -> None:
    if ctx.emitted and ctx.em.dispatcher is not None:
        ctx.em.dispatcher.wake()


def _with_query(url: str, values: dict[str, str]) -> str:
    """The URL with values added to its query string, keeping what it had."""
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(values)}" if parts.query else urlencode(values)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@blueprint.get("/v3/")
@blueprint.get("/v3")
def stripe_js() -> Response:
    """The Stripe.js stand-in, at the path js.stripe.com uses: static/v3/*.js in name order, as
    one script with one private scope."""
    parts = sorted((STATIC / "v3").glob("*.js"))
    source = "\n".join(part.read_text(encoding="utf-8") for part in parts)
    response = Response(
        f"(function () {{\n'use strict';\n\n{source}}})();\n",
        content_type="application/javascript; charset=utf-8",
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.route("/_emulator/3ds/<intent>", methods=["GET", "POST"])
def three_d_secure(intent: str) -> Any:
    """The test authentication page: Complete or Fail, then back to the return URL."""
    ctx = _ctx()
    pi = ctx.store.get(intent, "payment_intent")
    secret = request.values.get("client_secret", "")
    if pi is None or secret != pi["client_secret"]:
        abort(404)
    if request.method == "GET":
        return render_template(
            "three_d_secure.html",
            pi_id=pi["id"],
            amount_display=currencies.display(pi["amount"], pi["currency"]),
            form_action=f"/_emulator/3ds/{pi['id']}",
            client_secret=secret,
        )
    outcome = request.form.get("outcome")
    if outcome not in ("complete", "fail"):
        abort(400)
    with ctx.store.transaction():
        pi = payment_flow.authenticate(ctx, intent, secret, outcome == "complete")
    _wake(ctx)
    target = payment_flow.return_url(pi)
    if not target:
        return f"<p>Authentication {escape(outcome)}d. You can close this window.</p>"
    redirect_status = (
        "succeeded" if pi["status"] in ("succeeded", "processing", "requires_capture") else "failed"
    )
    return redirect(
        _with_query(
            target,
            {
                "payment_intent": pi["id"],
                "payment_intent_client_secret": pi["client_secret"],
                "redirect_status": redirect_status,
            },
        ),
        code=303,
    )


def _session_or_404(ctx: Ctx, session_id: str) -> dict[str, Any]:
    session = ctx.store.get(session_id, "checkout.session")
    if session is None:
        abort(404)
    return session


def _render_checkout(
    session: dict[str, Any],
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    items = session["_private"]["line_items"]
    currency = session["currency"]
    return render_template(
        "checkout.html",
        session=session,
        line_items=[
            {
                "name": item["description"],
                "quantity": item["quantity"],
                "unit_amount_display": currencies.display(item["price"]["unit_amount"], currency),
                "amount_total_display": currencies.display(item["amount_total"], currency),
            }
            for item in items
        ],
        total_display=currencies.display(session["amount_total"], currency),
        error=error,
        form_action=f"/c/pay/{session['id']}",
        cancel_url=f"/c/pay/{session['id']}/cancel" if session["cancel_url"] else None,
        form=form or {"email": session["customer_email"] or "", "postal_code": ""},
    ), status


def _card_from_form(form: Any) -> dict[str, Any]:
    """payment_method_data from the hosted page's fields, as Stripe.js would send it."""
    expiry = form.get("card_expiry", "").replace(" ", "")
    month, _, year = expiry.partition("/")
    return {
        "type": "card",
        "card": {
            "number": "".join(form.get("card_number", "").split()),
            "exp_month": int(month) if month.isdigit() else 0,
            "exp_year": int(year) if year.isdigit() else 0,
            "cvc": form.get("card_cvc", "").strip(),
        },
        "billing_details": {
            "email": form.get("email", "").strip() or None,
            "name": form.get("cardholder_name", "").strip() or None,
            "address": {"postal_code": form.get("postal_code", "").strip() or None},
        },
    }


@blueprint.route("/c/pay/<session_id>", methods=["GET", "POST"])
def checkout(session_id: str) -> Any:
    """The hosted payment page of a Checkout Session."""
    ctx = _ctx()
    session = _session_or_404(ctx, session_id)
    if session["status"] == "complete":
        return redirect(checkout_sessions.success_url(session), code=303)
    if session["status"] == "expired":
        return _render_checkout(session, "This checkout session has expired.", status=410)
    if request.method == "GET":
        return _render_checkout(session)
    entered = {
        "email": request.form.get("email", ""),
        "postal_code": request.form.get("postal_code", ""),
    }
    if "@" not in entered["email"]:
        return _render_checkout(session, "Enter a valid email address.", entered, 400)
    declined: CardError | None = None
    try:
        with ctx.store.transaction():
            try:
                pi = checkout_sessions.pay(ctx, session_id, _card_from_form(request.form))
            except CardError as error:
                declined = error
    except StripeError as error:
        return _render_checkout(session, error.message, entered, 400)
    finally:
        _wake(ctx)
    if declined is not None:
        return _render_checkout(session, declined.message, entered, 402)
    if pi["status"] == "requires_action":
        return redirect(pi["next_action"]["redirect_to_url"]["url"], code=303)
    session = _session_or_404(ctx, session_id)
    return redirect(checkout_sessions.success_url(session), code=303)


@blueprint.get("/c/pay/<session_id>/return")
def checkout_return(session_id: str) -> Any:
    """Back from 3-D Secure: finish the session, or show the failure on the page."""
    ctx = _ctx()
    with ctx.store.transaction():
        session = (
            checkout_sessions.complete(ctx, session_id)
            if ctx.store.get(session_id, "checkout.session")
            else None
        )
    _wake(ctx)
    if session is None:
        abort(404)
    if session["status"] == "complete":
        return redirect(checkout_sessions.success_url(session), code=303)
    pi = ctx.store.get(session["payment_intent"] or "", "payment_intent")
    message = (pi or {}).get("last_payment_error") or {}
    return _render_checkout(session, message.get("message", "The payment was not completed."))


@blueprint.get("/c/pay/<session_id>/cancel")
def checkout_cancel(session_id: str) -> Any:
    """Back to the merchant's cancel URL; the session stays open, as on Stripe."""
    session = _session_or_404(_ctx(), session_id)
    if not session["cancel_url"]:
        abort(404)
    return redirect(session["cancel_url"], code=303)


@blueprint.get("/_emulator/receipts/<charge_id>")
def receipt(charge_id: str) -> Any:
    """A plain receipt for a charge, where `receipt_url` points."""
    charge = _ctx().store.get(charge_id, "charge")
    if charge is None:
        abort(404)
    amount = currencies.display(charge["amount_captured"] or charge["amount"], charge["currency"])
    card = charge["payment_method_details"]["card"]
    return (
        "<!doctype html><title>Receipt</title><h1>Receipt</h1>"
        f"<p>Amount paid: {escape(amount)}</p>"
        f"<p>Card: {escape(card['brand'])} ending {escape(card['last4'])}</p>"
        f"<p>Reference: {escape(charge['payment_intent'] or charge['id'])}</p>"
        f"<p>Refunded: {escape(currencies.display(charge['amount_refunded'], charge['currency']))}"
        "</p>"
    )
