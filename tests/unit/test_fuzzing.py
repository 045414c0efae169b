"""Open-ended input on every customer endpoint that takes a form or a JSON body, on the return
page and on the webhook: never a server error, and nothing written when the answer is a refusal."""

import json
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bookshop.models import Book, Email, Order, Payment, Refund, Shipment, StripeEvent
from bookshop.testing import csrf_token
from shop_support import HAMMING, WEBHOOK_SECRET, checkout_cart, pay_with_fake, the_order
from stripe_emulator.delivery import sign

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Field names the shop's forms and scripts use, so that examples reach past the first check.
FIELDS = [
    "email", "quantity", "book", "checkout_id", "cart_version", "option", "country", "address",
    "scope", "request_id", "amount", "csrf_token", "quantity-1", "quantity-2", "name", "phone",
]  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["", "0", "1", "-1", "SG", "sg-express", HAMMING, "9" * 400, "a@b.co"])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
JSON_BODIES = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), JSON_VALUES) | (
    JSON_VALUES
)
FORMS = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(string.ascii_letters + "-_", max_size=12),
    st.text(max_size=60) | st.sampled_from(["0", "1", "all", "lines", "99999999", "-3"]),
    max_size=6,
)


def written(session) -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    session.expire_all()
    counts = tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Order, Payment, Refund, Shipment, StripeEvent, Email)
    )
    return (*counts, session.scalar(select(func.sum(Book.stock))))


def post_endpoints(app, tokens: list[str]) -> list[str]:
    """Every customer POST route, with real order tokens and book slugs filled in."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint.startswith(("webhooks.", "admin")):
            continue
        if rule.endpoint.split(".")[0] not in ("cart", "checkout", "orders", "delivery"):
            continue
        values = (
            [{"token": token, "slug": HAMMING} for token in tokens]
            if "token" in rule.arguments
            else [{"slug": HAMMING}]
        )
        paths += [
            rule.rule.replace("<token>", v["token"]) if "token" in v else rule.rule for v in values
        ]
    return sorted({path.replace("<slug>", HAMMING) for path in paths})


@pytest.fixture
def endpoints(app, client, session, fake_stripe) -> list[str]:
    checkout_cart(client, (HAMMING, 1))
    pay_with_fake(client, session, fake_stripe)  # a paid order, refundable
    paid = the_order(session).token
    checkout_cart(client, (HAMMING, 1))  # and one waiting for payment
    pending = session.scalars(select(Order.token).where(Order.token != paid)).one()
    found = post_endpoints(app, [paid, pending])
    assert any(path.endswith("/delivery") for path in found)  # the map was read
    return found


def check(response, before, session) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert written(session) == before


@FUZZ
@given(body=JSON_BODIES, which=st.integers(min_value=0))
def test_json_endpoints_refuse_bad_bodies_cleanly(client, session, endpoints, body, which):
    path = endpoints[which % len(endpoints)]
    headers = {"X-CSRFToken": csrf_token(client, f"/checkout/{HAMMING}")}
    before = written(session)
    check(client.post(path, json=body, headers=headers), before, session)


@FUZZ
@given(form=FORMS, which=st.integers(min_value=0))
def test_form_endpoints_refuse_bad_forms_cleanly(client, session, endpoints, form, which):
    path = endpoints[which % len(endpoints)]
    before = written(session)
    check(client.post(path, data={**form, "csrf_token": csrf_token(client)}), before, session)


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(["payment_intent", "payment_intent_client_secret", "redirect_status", "x"]),
        st.text(max_size=80),
    )
)
def test_the_return_page_takes_any_query(client, session, fake_stripe, query):
    before = written(session)
    response = client.get("/checkout/complete", query_string=query)
    assert response.status_code < 500
    assert written(session) == before


@FUZZ
@given(
    payload=JSON_VALUES
    | st.dictionaries(st.sampled_from(["id", "type", "object", "data", "created"]), JSON_VALUES)
)
def test_the_webhook_never_fails_on_a_signed_body_it_cannot_use(client, session, payload):
    body = json.dumps(payload)
    headers = {"Stripe-Signature": sign(body, WEBHOOK_SECRET), "Content-Type": "application/json"}
    before = written(session)
    response = client.post("/webhooks/stripe", data=body, headers=headers)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert written(session) == before


@FUZZ
@given(body=st.binary(max_size=300), signature=st.text(string.printable.strip(), max_size=120))
def test_the_webhook_refuses_unsigned_bodies_and_writes_nothing(client, session, body, signature):
    before = written(session)
    response = client.post("/webhooks/stripe", data=body, headers={"Stripe-Signature": signature})
    assert response.status_code == 400
    assert written(session) == before
