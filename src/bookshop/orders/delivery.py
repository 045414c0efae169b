"""Delivery: the customer's address checked as the shop can ship to it, and shipping priced by the
shop from its options table (the browser names an option, never an amount)."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Order, ShippingOption
from ..payments.objects import ChosenShipping, ShippingDetails
from .errors import OrderError
from .statuses import OrderStatus

log = logging.getLogger(__name__)

FIELD_LIMITS = {
    "name": 100,
    "phone": 30,
    "line1": 100,
    "line2": 100,
    "city": 60,
    "state": 60,
    "postal_code": 20,
}
_PHONE = re.compile(r"\+?[0-9 ().-]{6,30}")
_POSTAL_CODES = {
    "SG": re.compile(r"\d{6}"),
    "US": re.compile(r"\d{5}(-\d{4})?"),
    "GB": re.compile(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", re.IGNORECASE),
    "CA": re.compile(r"[A-Z]\d[A-Z] ?\d[A-Z]\d", re.IGNORECASE),
    "AU": re.compile(r"\d{4}"),
    "NZ": re.compile(r"\d{4}"),
    "JP": re.compile(r"\d{3}-?\d{4}"),
    "MY": re.compile(r"\d{5}"),
    "IN": re.compile(r"\d{6}"),
    "DE": re.compile(r"\d{5}"),
    "FR": re.compile(r"\d{5}"),
}
_POSTAL_CODE = re.compile(r"[A-Z0-9][A-Z0-9 -]{1,11}", re.IGNORECASE)
# Where a postal code or a city is not part of an address.
_NO_POSTAL_CODE = frozenset({"HK", "AE"})
_NO_CITY = frozenset({"SG", "HK"})
_STATE_REQUIRED = frozenset({"US", "CA", "AU"})


@dataclass(frozen=True)
class Address:
    """Where the books go, checked: every field trimmed, printable and within its length."""

    name: str
    phone: str
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2, upper case


@dataclass(frozen=True)
class Quote:
    """A shipping option priced for an order's books."""

    code: str
    name: str
    amount: int  # minor units; 0 when free
    estimate: str  # e.g. "2–4 business days"


def parse_country(raw: object, allowed: frozenset[str]) -> str:
    """A country code the shop delivers to, or OrderError."""
    country = raw.strip().upper() if isinstance(raw, str) else ""
    if country not in allowed:
        raise OrderError("Sorry, we do not deliver to that country.", field="country")
    return country


def parse_address(raw: object, allowed: frozenset[str]) -> Address:
    """The address as the Address Element sends it ({name, phone, address: {line1, …}}), checked
    for the country's required fields; OrderError naming the first bad field otherwise."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("address"), Mapping):
        raise OrderError("Please enter your delivery address.", field="address")
    parts: Mapping[str, object] = raw["address"]
    country = parse_country(parts.get("country"), allowed)
    values = {
        "name": _text(raw.get("name"), "name"),
        "phone": _text(raw.get("phone"), "phone"),
        **{name: _text(parts.get(name), name) for name in FIELD_LIMITS if name in _ADDRESS_PARTS},
    }
    required = ["name", "phone", "line1"]
    required += [] if country in _NO_CITY else ["city"]
    required += [] if country in _NO_POSTAL_CODE else ["postal_code"]
    required += ["state"] if country in _STATE_REQUIRED else []
    for name in required:
        if not values[name]:
            raise OrderError(f"Please enter the {_LABELS[name]}.", field=name)
    if not _PHONE.fullmatch(values["phone"]) or sum(c.isdigit() for c in values["phone"]) < 6:
        raise OrderError("Please enter a phone number we can call.", field="phone")
    postal_code = values["postal_code"]
    if postal_code and not _POSTAL_CODES.get(country, _POSTAL_CODE).fullmatch(postal_code):
        raise OrderError("Please check the postal code.", field="postal_code")
    return Address(country=country, **values)


_ADDRESS_PARTS = ("line1", "line2", "city", "state", "postal_code")
_LABELS = {
    "name": "recipient's name",
    "phone": "phone number",
    "line1": "street address",
    "line2": "second address line",
    "city": "city",
    "state": "state or province",
    "postal_code": "postal code",
}


def _text(raw: object, name: str) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise OrderError(f"Please check the {_LABELS[name]}.", field=name)
    value = " ".join(raw.split())  # tabs and line breaks folded: one line each
    if len(value) > FIELD_LIMITS[name]:
        raise OrderError(
            f"The {_LABELS[name]} is too long (at most {FIELD_LIMITS[name]} characters).",
            field=name,
        )
    if any(unicodedata.category(char).startswith("C") for char in value):
        raise OrderError(f"Please check the {_LABELS[name]}.", field=name)
    return value


def active_options(session: Session) -> list[ShippingOption]:
    """The shipping options on offer, in the shop's order."""
    return list(
        session.scalars(
            select(ShippingOption)
            .where(ShippingOption.active.is_(True))
            .order_by(ShippingOption.position, ShippingOption.id)
        )
    )


def delivery_countries(session: Session) -> frozenset[str]:
    """Every country some active option delivers to."""
    return frozenset().union(*(option.country_codes for option in active_options(session)))


def quotes_for(session: Session, country: str, items_amount: int, currency: str) -> list[Quote]:
    """The options that deliver to `country`, priced for books worth `items_amount`."""
    return [
        quote(option, items_amount)
        for option in active_options(session)
        if country in option.country_codes and option.currency == currency
    ]


def quote(option: ShippingOption, items_amount: int) -> Quote:
    """One option's price for books worth `items_amount`: free from its threshold on."""
    free = option.free_from_amount is not None and items_amount >= option.free_from_amount
    days = (
        f"{option.min_days} business day"
        if option.min_days == option.max_days == 1
        else f"{option.min_days}–{option.max_days} business days"
        if option.min_days != option.max_days
        else f"{option.min_days} business days"
    )
    return Quote(option.code, option.name, 0 if free else option.amount, days)


def delivery_chosen(
    session: Session, order: Order, option_code: object, country: str, address: Address | None
) -> Quote:
    """The customer chose how and where to deliver an unpaid order: the shipping line and the
    total follow (the caller updates the PaymentIntent). OrderError when the option does not
    deliver there, or the order can no longer change."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise OrderError("This order can no longer be changed.")
    offered = {q.code: q for q in quotes_for(session, country, order.items_amount, order.currency)}
    if not offered:
        raise OrderError("Sorry, we do not deliver to that country.", field="country")
    chosen = offered.get(option_code) if isinstance(option_code, str) else None
    if chosen is None:
        raise OrderError("Please choose a delivery option offered for this address.", "shipping")
    order.shipping_option = chosen.code
    order.shipping_label = chosen.name
    order.shipping_estimate = chosen.estimate
    order.shipping_amount = chosen.amount
    order.total_amount = order.items_amount + chosen.amount
    order.ship_to_country = country
    if address is not None:
        _store_address(order, address)
    return chosen


def _store_address(order: Order, address: Address) -> None:
    order.ship_to_name = address.name
    order.ship_to_phone = address.phone or None
    order.ship_to_line1 = address.line1
    order.ship_to_line2 = address.line2 or None
    order.ship_to_city = address.city or None
    order.ship_to_state = address.state or None
    order.ship_to_postal_code = address.postal_code or None
    order.ship_to_country = address.country


def address_collected(details: ShippingDetails) -> Address:
    """The address a customer gave on Stripe's hosted page, one line per field and within the
    shop's lengths: Stripe checked it and the money is taken for it, so it is kept, not refused."""

    def fit(value: str, name: str) -> str:
        return " ".join(value.split())[: FIELD_LIMITS[name]]

    return Address(
        name=fit(details.name, "name"),
        phone=fit(details.phone, "phone"),
        line1=fit(details.line1, "line1"),
        line2=fit(details.line2, "line2"),
        city=fit(details.city, "city"),
        state=fit(details.state, "state"),
        postal_code=fit(details.postal_code, "postal_code"),
        country=details.country.strip().upper()[:2],
    )


def delivery_collected(
    session: Session, order: Order, chosen: ChosenShipping | None, address: Address | None
) -> None:
    """Stripe's hosted page collected where and how an unpaid order goes: the shipping line is
    what Stripe charged (the rate the shop offered), named after the shop's option it came from,
    and the total follows. OrderError when the order can no longer change."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise OrderError("This order can no longer be changed.")
    option = _option_of(session, order, chosen) if chosen is not None else None
    if chosen is not None:
        order.shipping_option = option.code if option else None
        order.shipping_label = (chosen.name or (option.name if option else "Delivery"))[:100]
        order.shipping_estimate = quote(option, order.items_amount).estimate if option else None
        order.shipping_amount = chosen.amount
        order.total_amount = order.items_amount + chosen.amount
    if address is not None:
        _store_address(order, address)
    if option is not None and address is not None and address.country not in option.country_codes:
        # Stripe's page offers every option whatever the address: staff must look before shipping.
        log.warning(
            "order %s: %s chosen for an address in %s",
            order.reference,
            option.code,
            address.country,
        )


def _option_of(session: Session, order: Order, chosen: ChosenShipping) -> ShippingOption | None:
    """The shop's option a rate chosen on Stripe's page came from: by the code the shop put in
    its metadata, else by its name and amount."""
    options = [o for o in active_options(session) if o.currency == order.currency]
    for option in options:
        if chosen.code and option.code == chosen.code:
            return option
    for option in options:
        if option.name == chosen.name and quote(option, order.items_amount).amount == chosen.amount:
            return option
    return None


def address_of(order: Order) -> Address | None:
    """The delivery address stored on the order, once the customer gave it."""
    if not (order.ship_to_name and order.ship_to_line1 and order.ship_to_country):
        return None
    return Address(
        name=order.ship_to_name,
        phone=order.ship_to_phone or "",
        line1=order.ship_to_line1,
        line2=order.ship_to_line2 or "",
        city=order.ship_to_city or "",
        state=order.ship_to_state or "",
        postal_code=order.ship_to_postal_code or "",
        country=order.ship_to_country,
    )
