"""The hosted Checkout page: the buyer's details, shipping and card, then back to the shop."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request

from . import currencies
from .core import PRIVATE, Ctx
from .errors import CardError, StripeError
from .pages import page_ctx, wake
from .resources import checkout_sessions, checkout_shipping, shipping

blueprint = Blueprint("checkout_page", __name__)
# The shipping address fields of the form, and the message when a required one is empty.
ADDRESS_FIELDS = {
    "shipping_name": "Enter the name to ship to.",
    "shipping_line1": "Enter the shipping address.",
    "shipping_line2": None,
    "shipping_city": "Enter the city.",
    "shipping_state": None,
    "shipping_postal_code": "Enter the postal code.",
    "shipping_country": "Choose the country to ship to.",
}
ENTERED = ("email", "postal_code", "cardholder_name", "shipping_rate", *ADDRESS_FIELDS)


def _session_or_404(ctx: Ctx, session_id: str) -> dict[str, Any]:
    session = ctx.store.get(session_id, "checkout.session")
    if session is None:
        abort(404)
    return session


def _estimate(rate: dict[str, Any]) -> str | None:
    estimate = rate["delivery_estimate"]
    if not estimate:
        return None
    low, high = estimate.get("minimum"), estimate.get("maximum")
    bound = high or low
    unit = bound["unit"].replace("_", " ")
    if low and high and low["value"] != high["value"]:
        return f"{low['value']}–{high['value']} {unit}s"
    return f"{bound['value']} {unit}{'s' if bound['value'] != 1 else ''}"


def _shipping_choices(ctx: Ctx, session: dict[str, Any], chosen: str | None) -> list[Any]:
    currency, subtotal = session["currency"], session["amount_subtotal"]
    current = chosen or (session["shipping_cost"] or {}).get("shipping_rate")
    return [
        {
            "id": rate["id"],
            "name": rate["display_name"],
            "estimate": _estimate(rate),
            "amount_display": currencies.display(rate["fixed_amount"]["amount"], currency),
            "total_display": currencies.display(
                subtotal + rate["fixed_amount"]["amount"], currency
            ),
            "checked": rate["id"] == current or (index == 0 and current is None),
        }
        for index, rate in enumerate(checkout_shipping.rates(ctx, session))
    ]


def _render(
    ctx: Ctx,
    session: dict[str, Any],
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    currency = session["currency"]
    entered = form or {"email": session["customer_email"] or ""}
    choices = _shipping_choices(ctx, session, entered.get("shipping_rate"))
    chosen = next((choice for choice in choices if choice["checked"]), None)
    collection = session["shipping_address_collection"]
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
            for item in session[PRIVATE]["line_items"]
        ],
        subtotal_display=currencies.display(session["amount_subtotal"], currency),
        total_display=chosen["total_display"]
        if chosen
        else currencies.display(session["amount_total"], currency),
        shipping_choices=choices,
        chosen=chosen,
        countries=collection["allowed_countries"] if collection else [],
        error=error,
        form_action=f"/c/pay/{session['id']}",
        cancel_url=f"/c/pay/{session['id']}/cancel" if session["cancel_url"] else None,
        form=entered,
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


def _shipping_from_form(session: dict[str, Any], form: dict[str, str]) -> Any:
    """The shipping details entered, or the message saying what is missing or refused."""
    collection = session["shipping_address_collection"]
    if collection is None:
        return None, None
    for name, missing in ADDRESS_FIELDS.items():
        if missing and not form.get(name, "").strip():
            return None, missing
    if form["shipping_country"] not in collection["allowed_countries"]:
        return None, "We cannot ship to that country."
    given = {name.removeprefix("shipping_"): form[name].strip() for name in ADDRESS_FIELDS}
    details = {"name": given.pop("name"), "address": {k: v or None for k, v in given.items()}}
    return shipping.details_of(details), None


@blueprint.route("/c/pay/<session_id>", methods=["GET", "POST"])
def checkout(session_id: str) -> Any:
    """The hosted payment page of a Checkout Session."""
    ctx = page_ctx()
    session = _session_or_404(ctx, session_id)
    if session["status"] == "complete":
        return redirect(checkout_sessions.success_url(session), code=303)
    if session["status"] == "expired":
        return _render(ctx, session, "This checkout session has expired.", status=410)
    if request.method == "GET":
        return _render(ctx, session)
    entered = {name: request.form.get(name, "") for name in ENTERED}
    if "@" not in entered["email"]:
        return _render(ctx, session, "Enter a valid email address.", entered, 400)
    details, problem = _shipping_from_form(session, entered)
    if problem:
        return _render(ctx, session, problem, entered, 400)
    declined: CardError | None = None
    try:
        with ctx.store.transaction():
            try:
                pi = checkout_sessions.pay(
                    ctx,
                    session_id,
                    _card_from_form(request.form),
                    details,
                    entered["shipping_rate"] or None,
                )
            except CardError as error:
                declined = error
    except StripeError as error:
        return _render(ctx, session, error.message, entered, 400)
    finally:
        wake(ctx)
    session = _session_or_404(ctx, session_id)
    if declined is not None:
        return _render(ctx, session, declined.message, entered, 402)
    if pi["status"] == "requires_action":
        return redirect(pi["next_action"]["redirect_to_url"]["url"], code=303)
    return redirect(checkout_sessions.success_url(session), code=303)


@blueprint.get("/c/pay/<session_id>/return")
def checkout_return(session_id: str) -> Any:
    """Back from 3-D Secure: finish the session, or show the failure on the page."""
    ctx = page_ctx()
    with ctx.store.transaction():
        session = (
            checkout_sessions.complete(ctx, session_id)
            if ctx.store.get(session_id, "checkout.session")
            else None
        )
    wake(ctx)
    if session is None:
        abort(404)
    if session["status"] == "complete":
        return redirect(checkout_sessions.success_url(session), code=303)
    pi = ctx.store.get(session["payment_intent"] or "", "payment_intent")
    message = (pi or {}).get("last_payment_error") or {}
    return _render(ctx, session, message.get("message", "The payment was not completed."))


@blueprint.get("/c/pay/<session_id>/cancel")
def checkout_cancel(session_id: str) -> Any:
    """Back to the merchant's cancel URL; the session stays open, as on Stripe."""
    session = _session_or_404(page_ctx(), session_id)
    if not session["cancel_url"]:
        abort(404)
    return redirect(session["cancel_url"], code=303)
