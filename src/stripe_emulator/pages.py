"""Pages a customer sees on "Stripe": Stripe.js, the 3-D Secure page, receipts."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from markupsafe import escape

from . import currencies
from .core import Ctx, Emulator
from .resources import payment_flow

STATIC = Path(__file__).parent / "static"
blueprint = Blueprint(
    "pages", __name__, static_folder="static", static_url_path="/_emulator/static"
)


def page_ctx() -> Ctx:
    """The context of a page's work: this emulator, reached where the browser reached it."""
    em: Emulator = current_app.extensions["emulator"]
    return Ctx(em=em, base_url=request.host_url.rstrip("/"))


def wake(ctx: Ctx) -> None:
    """Send the events a page's work emitted now rather than at the next poll."""
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
    ctx = page_ctx()
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
    wake(ctx)
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


@blueprint.get("/_emulator/receipts/<charge_id>")
def receipt(charge_id: str) -> Any:
    """A plain receipt for a charge, where `receipt_url` points."""
    charge = page_ctx().store.get(charge_id, "charge")
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
