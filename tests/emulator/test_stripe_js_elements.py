"""Stripe.js stand-in in Chromium: the Address, Link Authentication and Express Checkout Elements,
the Elements group's API, and a checkout page built as Stripe's Payment Element quickstart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
import stripe
from merchant_site import FUTURE_EXPIRY, MerchantServer, fill_card, query_of
from playwright.sync_api import Page, Request, expect

pytestmark = pytest.mark.e2e

US_ADDRESS = {
    "name": "Ada Lovelace",
    "address": {
        "line1": "350 Fifth Avenue",
        "line2": "Floor 21",
        "city": "New York",
        "state": "NY",
        "postal_code": "10118",
        "country": "US",
    },
}


@pytest.fixture
def console(page: Page) -> list[str]:
    """What the page logs, errors and Content-Security-Policy reports included."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.on("pageerror", lambda error: messages.append(str(error)))
    return messages


def open_sample(page: Page, merchant: MerchantServer) -> str:
    page.goto(f"{merchant.url}/sample-checkout")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    return page.locator("body").get_attribute("data-payment-intent") or ""


def open_address_page(page: Page, merchant: MerchantServer, options: dict[str, Any]) -> str:
    """The checkout with an Address Element created with these options; the PaymentIntent id."""
    page.goto(f"{merchant.url}/address?options={quote(json.dumps(options))}")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    return page.locator("body").get_attribute("data-payment-intent") or ""


def address_events(page: Page, kind: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = page.evaluate(
        "(kind) => addressEvents.filter((e) => e.type === kind).map((e) => e.event)", kind
    )
    return events


def get_value(page: Page) -> dict[str, Any]:
    value: dict[str, Any] = page.evaluate("() => checkout.addressElement.getValue()")
    return value


def fill_us_address(page: Page) -> None:
    page.get_by_test_id("address-name").fill("Ada Lovelace")
    page.get_by_test_id("address-line1").fill("350 Fifth Avenue")
    page.get_by_test_id("address-line2").fill("Floor 21")
    page.get_by_test_id("address-city").fill("New York")
    page.get_by_test_id("address-state").select_option("NY")
    page.get_by_test_id("address-postal-code").fill("10118")


def sent_form(request: Request) -> dict[str, str]:
    """A form-encoded request's fields, nested names as sent (shipping[address][city])."""
    return {key: values[0] for key, values in parse_qs(request.post_data or "").items()}


# ---------------------------------------------------------------- the quickstart's checkout


def test_quickstart_checkout_pays_and_return_page_shows_succeeded(
    page: Page, merchant: MerchantServer, client: stripe.StripeClient, console: list[str]
) -> None:
    intent_id = open_sample(page, merchant)

    page.get_by_test_id("link-email").fill("reader@example.com")
    fill_card(page, "4242 4242 4242 4242")
    page.get_by_test_id("pay").click()

    page.wait_for_url(f"{merchant.url}/sample-complete?**")
    assert query_of(page.url)["redirect_status"] == "succeeded"
    expect(page.get_by_test_id("status")).to_have_text("succeeded")
    expect(page.get_by_test_id("status-text")).to_have_text("Payment succeeded")
    expect(page.get_by_test_id("intent-id")).to_have_text(intent_id)
    intent = client.v1.payment_intents.retrieve(intent_id)
    assert intent.status == "succeeded"
    assert intent.receipt_email == "reader@example.com"
    method = client.v1.payment_methods.retrieve(str(intent.payment_method))
    assert method.billing_details.email == "reader@example.com"
    assert [text for text in console if "Content Security Policy" in text] == []


def test_quickstart_checkout_shows_a_decline_inline(
    page: Page, merchant: MerchantServer, client: stripe.StripeClient
) -> None:
    intent_id = open_sample(page, merchant)
    checkout_url = page.url

    page.get_by_test_id("link-email").fill("reader@example.com")
    fill_card(page, "4000 0000 0000 0002")
    page.get_by_test_id("pay").click()

    expect(page.get_by_test_id("payment-message")).to_have_text("Your card was declined.")
    expect(page.get_by_test_id("pay")).to_be_enabled()
    assert page.url == checkout_url
    assert client.v1.payment_intents.retrieve(intent_id).status == "requires_payment_method"


def test_quickstart_checkout_completes_three_d_secure(
    page: Page, merchant: MerchantServer, client: stripe.StripeClient
) -> None:
    intent_id = open_sample(page, merchant)

    page.get_by_test_id("link-email").fill("reader@example.com")
    fill_card(page, "4000 0025 0000 3155")
    page.get_by_test_id("pay").click()
    expect(page.get_by_text("This is a test authentication page")).to_be_visible()
    page.get_by_test_id("3ds-complete").click()

    page.wait_for_url(f"{merchant.url}/sample-complete?**")
    expect(page.get_by_test_id("status")).to_have_text("succeeded")
    assert client.v1.payment_intents.retrieve(intent_id).status == "succeeded"


def test_quickstart_checkout_wants_an_email_first(
    page: Page, merchant: MerchantServer, confirm_calls: list[Request]
) -> None:
    open_sample(page, merchant)

    page.get_by_test_id("link-email").fill("reader@example")
    fill_card(page, "4242 4242 4242 4242")
    page.get_by_test_id("pay").click()

    expect(page.get_by_test_id("payment-message")).to_have_text("Your email address is invalid.")
    expect(page.get_by_test_id("link-email-error")).to_have_text("Your email address is invalid.")
    expect(page.get_by_test_id("link-email")).to_have_attribute("aria-invalid", "true")
    assert confirm_calls == []


def test_link_authentication_element_reports_the_email(
    page: Page, merchant: MerchantServer
) -> None:
    page.goto(f"{merchant.url}/blank")

    events = page.evaluate(
        """(pk) => new Promise((resolve) => {
            const elements = Stripe(pk).elements({mode: 'payment', amount: 2300, currency: 'sgd'});
            const link = elements.create('linkAuthentication',
                {defaultValues: {email: 'ada@example.com'}});
            const seen = [];
            ['ready', 'focus', 'blur', 'change'].forEach((type) =>
                link.on(type, (event) => seen.push(Object.assign({type}, event))));
            const box = document.createElement('div');
            document.body.append(box);
            link.mount(box);
            link.on('ready', () => {
                const input = box.querySelector('input');
                input.focus();
                input.value = '';
                input.dispatchEvent(new Event('input'));
                input.value = 'grace@example.com';
                input.dispatchEvent(new Event('input'));
                input.blur();
                resolve(seen);
            });
        })""",
        merchant.emulator.publishable_key,
    )

    assert [event["type"] for event in events] == ["ready", "focus", "change", "change", "blur"]
    assert all(event["elementType"] == "linkAuthentication" for event in events)
    assert events[2] == {
        "type": "change",
        "elementType": "linkAuthentication",
        "empty": True,
        "complete": False,
        "value": {"email": ""},
    }
    assert events[3]["complete"] is True
    assert events[3]["value"] == {"email": "grace@example.com"}


# ------------------------------------------------------------------------- Address Element


@pytest.mark.parametrize(
    ("country", "shown", "hidden", "errors"),
    [
        (
            "US",
            {"address-city": "City", "address-state": "State", "address-postal-code": "ZIP"},
            [],
            {
                "address-name": "Your full name is incomplete.",
                "address-line1": "Your address is incomplete.",
                "address-city": "Your city is incomplete.",
                "address-state": "Your state is incomplete.",
                "address-postal-code": "Your ZIP is incomplete.",
            },
        ),
        (
            "SG",
            {"address-postal-code": "Postal code"},
            ["address-city", "address-state"],
            {
                "address-name": "Your full name is incomplete.",
                "address-line1": "Your address is incomplete.",
                "address-postal-code": "Your postal code is incomplete.",
            },
        ),
        (
            "GB",
            {"address-city": "Town or city", "address-postal-code": "Postcode"},
            ["address-state"],
            {
                "address-name": "Your full name is incomplete.",
                "address-line1": "Your address is incomplete.",
                "address-city": "Your town or city is incomplete.",
                "address-postal-code": "Your postcode is incomplete.",
            },
        ),
        (
            "NZ",
            {"address-city": "City"},
            [],
            {
                "address-name": "Your full name is incomplete.",
                "address-line1": "Your address is incomplete.",
                "address-city": "Your city is incomplete.",
            },
        ),
    ],
)
def test_address_element_asks_for_what_each_country_requires(
    page: Page,
    merchant: MerchantServer,
    country: str,
    shown: dict[str, str],
    hidden: list[str],
    errors: dict[str, str],
) -> None:
    open_address_page(
        page, merchant, {"mode": "shipping", "allowedCountries": ["US", "SG", "GB", "NZ"]}
    )
    page.get_by_test_id("address-country").select_option(country)

    address = page.get_by_test_id("address-element")
    for testid, label in shown.items():
        expect(address.get_by_label(label, exact=True)).to_have_attribute("data-testid", testid)
    for testid in hidden:
        expect(page.get_by_test_id(testid)).to_be_hidden()
    result = get_value(page)

    assert result["complete"] is False
    for field in ("name", "line1", "line2", "city", "state", "postal-code"):
        testid = f"address-{field}"
        if testid in hidden:
            continue
        error = page.get_by_test_id(f"{testid}-error")
        expect(error).to_have_text(errors.get(testid, ""))
        expect(page.get_by_test_id(testid)).to_have_attribute(
            "aria-invalid", "true" if testid in errors else "false"
        )


def test_singapore_postal_code_has_six_digits(page: Page, merchant: MerchantServer) -> None:
    open_address_page(
        page, merchant, {"mode": "shipping", "defaultValues": {"address": {"country": "SG"}}}
    )
    page.get_by_test_id("address-name").fill("Tan Ah Kow")
    page.get_by_test_id("address-line1").fill("1 Raffles Place")
    postal = page.get_by_test_id("address-postal-code")

    postal.fill("04861")
    postal.blur()
    expect(page.get_by_test_id("address-postal-code-error")).to_have_text(
        "Your postal code is invalid."
    )
    assert address_events(page, "change")[-1]["complete"] is False

    postal.fill("048616")
    expect(page.get_by_test_id("address-postal-code-error")).to_have_text("")
    last = address_events(page, "change")[-1]
    assert last["complete"] is True
    assert last["value"]["address"] == {
        "line1": "1 Raffles Place",
        "line2": None,
        "city": "",
        "state": "",
        "postal_code": "048616",
        "country": "SG",
    }


def test_address_change_events_follow_the_form(page: Page, merchant: MerchantServer) -> None:
    open_address_page(page, merchant, {"mode": "shipping", "fields": {"phone": "always"}})

    page.get_by_test_id("address-name").fill("Ada Lovelace")
    first = address_events(page, "change")[-1]
    fill_us_address(page)
    page.get_by_test_id("address-phone").fill("(212) 555-0100")
    page.get_by_test_id("card-number").focus()

    assert first["empty"] is False
    assert first["complete"] is False
    last = address_events(page, "change")[-1]
    assert last == {
        "elementType": "address",
        "elementMode": "shipping",
        "empty": False,
        "complete": True,
        "isNewAddress": False,
        "value": {**US_ADDRESS, "phone": "+12125550100"},
    }
    assert [event["elementType"] for event in address_events(page, "ready")] == ["address"]
    assert address_events(page, "focus")
    assert address_events(page, "blur")


def test_get_value_resolves_the_default_values(page: Page, merchant: MerchantServer) -> None:
    defaults = {**US_ADDRESS, "address": {**US_ADDRESS["address"], "state": "New York"}}
    open_address_page(page, merchant, {"mode": "billing", "defaultValues": defaults})

    result = get_value(page)

    assert result == {"complete": True, "isNewAddress": False, "value": US_ADDRESS}
    expect(page.get_by_test_id("address-state")).to_have_value("NY")


def test_allowed_countries_limit_the_country_list(page: Page, merchant: MerchantServer) -> None:
    open_address_page(page, merchant, {"mode": "shipping", "allowedCountries": ["sg", "GB"]})

    options = page.get_by_test_id("address-country").locator("option")

    expect(options).to_have_text(["Singapore", "United Kingdom"])
    expect(page.get_by_test_id("address-country")).to_have_value("SG")


def test_phone_is_required_when_validation_says_always(
    page: Page, merchant: MerchantServer
) -> None:
    open_address_page(
        page,
        merchant,
        {
            "mode": "shipping",
            "fields": {"phone": "always"},
            "validation": {"phone": {"required": "always"}},
            "defaultValues": US_ADDRESS,
        },
    )

    assert get_value(page)["complete"] is False
    expect(page.get_by_test_id("address-phone-error")).to_have_text(
        "Your phone number is incomplete."
    )
    page.get_by_test_id("address-phone").fill("12")
    page.get_by_test_id("address-phone").blur()
    expect(page.get_by_test_id("address-phone-error")).to_have_text("Your phone number is invalid.")
    page.get_by_test_id("address-phone").fill("+65 6123 4567")

    result = get_value(page)
    assert result["complete"] is True
    assert result["value"]["phone"] == "+6561234567"


def test_phone_is_not_asked_unless_fields_phone_is_always(
    page: Page, merchant: MerchantServer
) -> None:
    open_address_page(page, merchant, {"mode": "shipping", "fields": {"phone": "never"}})

    expect(page.get_by_test_id("address-phone")).to_be_hidden()
    assert "phone" not in get_value(page)["value"]


def test_split_name_gives_first_and_last_name(page: Page, merchant: MerchantServer) -> None:
    open_address_page(page, merchant, {"mode": "shipping", "display": {"name": "split"}})

    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")

    value = get_value(page)["value"]
    assert (value["name"], value["firstName"], value["lastName"]) == (
        "Ada Lovelace",
        "Ada",
        "Lovelace",
    )
    expect(page.get_by_test_id("address-name")).to_be_hidden()


def test_submit_reports_incomplete_address_fields_with_a_complete_card(
    page: Page, merchant: MerchantServer, confirm_calls: list[Request]
) -> None:
    open_address_page(page, merchant, {"mode": "shipping"})
    page.get_by_test_id("link-email").fill("ada@example.com")
    page.get_by_test_id("address-name").fill("Ada Lovelace")
    fill_card(page, "4242 4242 4242 4242")

    result = page.evaluate("() => checkout.elements.submit()")

    assert result == {
        "error": {
            "type": "validation_error",
            "code": "incomplete_address_line1",
            "message": "Your address is incomplete.",
        }
    }
    expect(page.get_by_test_id("address-line1-error")).to_have_text("Your address is incomplete.")
    expect(page.get_by_test_id("address-postal-code-error")).to_have_text("Your ZIP is incomplete.")
    expect(page.get_by_test_id("address-error")).to_have_text("Your address is incomplete.")
    expect(page.get_by_test_id("card-number-error")).to_have_text("")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("payment-message")).to_have_text("Your address is incomplete.")
    assert confirm_calls == []


def test_submit_reports_the_first_problem_in_page_order(
    page: Page, merchant: MerchantServer
) -> None:
    open_address_page(page, merchant, {"mode": "shipping", "defaultValues": US_ADDRESS})

    page.get_by_test_id("pay").click()

    expect(page.get_by_test_id("payment-message")).to_have_text("Your email is incomplete.")
    expect(page.get_by_test_id("card-number-error")).to_have_text("Your card number is incomplete.")
    expect(page.get_by_test_id("address-name-error")).to_have_text("")


def test_confirm_payment_sends_the_shipping_address(
    page: Page, merchant: MerchantServer, confirm_calls: list[Request]
) -> None:
    open_address_page(page, merchant, {"mode": "shipping", "fields": {"phone": "always"}})
    page.get_by_test_id("link-email").fill("ada@example.com")
    fill_us_address(page)
    page.get_by_test_id("address-phone").fill("212 555 0100")
    fill_card(page, "4242 4242 4242 4242")

    page.get_by_test_id("pay").click()

    page.wait_for_function("() => document.querySelector('#submit').disabled === false")
    assert len(confirm_calls) == 1
    sent = sent_form(confirm_calls[0])
    assert {key: value for key, value in sent.items() if key.startswith("shipping")} == {
        "shipping[name]": "Ada Lovelace",
        "shipping[phone]": "+12125550100",
        "shipping[address][line1]": "350 Fifth Avenue",
        "shipping[address][line2]": "Floor 21",
        "shipping[address][city]": "New York",
        "shipping[address][state]": "NY",
        "shipping[address][postal_code]": "10118",
        "shipping[address][country]": "US",
    }
    assert sent["payment_method_data[billing_details][email]"] == "ada@example.com"
    assert "payment_method_data[billing_details][name]" not in sent


def test_confirm_payment_with_an_address_element_sets_the_payment_intents_shipping(
    page: Page, merchant: MerchantServer, client: stripe.StripeClient
) -> None:
    intent_id = open_address_page(
        page, merchant, {"mode": "shipping", "fields": {"phone": "always"}}
    )
    page.get_by_test_id("link-email").fill("ada@example.com")
    fill_us_address(page)
    page.get_by_test_id("address-phone").fill("212 555 0100")
    fill_card(page, "4242 4242 4242 4242")

    page.get_by_test_id("pay").click()

    expect(page.get_by_test_id("payment-result")).to_have_text("succeeded", timeout=5_000)
    shipping = client.v1.payment_intents.retrieve(intent_id).shipping
    assert shipping is not None
    assert shipping.name == "Ada Lovelace"
    assert shipping.phone == "+12125550100"
    assert shipping.address is not None
    assert shipping.address.line1 == "350 Fifth Avenue"
    assert shipping.address.line2 == "Floor 21"
    assert shipping.address.city == "New York"
    assert shipping.address.state == "NY"
    assert shipping.address.postal_code == "10118"
    assert shipping.address.country == "US"


def test_billing_address_element_fills_the_payment_methods_billing_details(
    page: Page, merchant: MerchantServer, client: stripe.StripeClient
) -> None:
    intent_id = open_address_page(page, merchant, {"mode": "billing"})
    expect(page.get_by_test_id("postal-code")).to_be_hidden()  # the address has it
    page.get_by_test_id("link-email").fill("ada@example.com")
    fill_us_address(page)
    page.get_by_test_id("card-number").fill("4242 4242 4242 4242")
    page.get_by_test_id("card-expiry").fill(FUTURE_EXPIRY)
    page.get_by_test_id("card-cvc").fill("123")

    page.get_by_test_id("pay").click()

    expect(page.get_by_test_id("payment-result")).to_have_text("succeeded")
    intent = client.v1.payment_intents.retrieve(intent_id)
    details = client.v1.payment_methods.retrieve(str(intent.payment_method)).billing_details
    assert details.name == "Ada Lovelace"
    assert details.email == "ada@example.com"
    assert details.address is not None
    assert (details.address.line1, details.address.city, details.address.state) == (
        "350 Fifth Avenue",
        "New York",
        "NY",
    )
    assert (details.address.postal_code, details.address.country) == ("10118", "US")


def test_address_element_works_from_the_keyboard_alone(
    page: Page, merchant: MerchantServer
) -> None:
    open_address_page(page, merchant, {"mode": "shipping", "allowedCountries": ["GB", "SG"]})
    page.get_by_test_id("link-email").fill("ada@example.com")
    page.get_by_test_id("link-email").press("Tab")

    page.keyboard.type("Ada Lovelace")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Country or region")).to_be_focused()
    page.keyboard.press("ArrowUp")  # United Kingdom (the first allowed) to Singapore
    page.keyboard.press("Tab")
    page.keyboard.type("1 Raffles Place")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # line 2 stays empty
    expect(page.get_by_test_id("address-element").get_by_label("Postal code")).to_be_focused()
    page.keyboard.type("048616")

    result = get_value(page)
    assert result["complete"] is True
    assert result["value"]["address"]["country"] == "SG"
    assert result["value"]["name"] == "Ada Lovelace"
    described = page.get_by_test_id("address-line1").get_attribute("aria-describedby")
    assert page.locator(f"#{described}").get_attribute("data-testid") == "address-line1-error"


def test_update_clear_and_destroy(page: Page, merchant: MerchantServer) -> None:
    open_address_page(page, merchant, {"mode": "shipping", "defaultValues": US_ADDRESS})
    expect(page.get_by_test_id("address-phone")).to_be_hidden()

    page.evaluate("() => checkout.addressElement.update({fields: {phone: 'always'}})")
    expect(page.get_by_test_id("address-phone")).to_be_visible()

    page.evaluate("() => checkout.addressElement.clear()")
    expect(page.get_by_test_id("address-name")).to_have_value("")
    last = address_events(page, "change")[-1]
    assert (last["empty"], last["complete"]) == (True, False)
    assert last["value"]["address"]["country"] == "US"

    found = page.evaluate(
        """() => {
            const {elements, addressElement} = checkout;
            const before = elements.getElement('address') === addressElement;
            const byMode = elements.getElement('address', {mode: 'shipping'}) === addressElement;
            const otherMode = elements.getElement('address', {mode: 'billing'});
            addressElement.destroy();
            return [before, byMode, otherMode, elements.getElement('address'),
                    document.querySelectorAll('[data-testid=address-element]').length];
        }"""
    )
    assert found == [True, True, None, None, 0]


@pytest.mark.parametrize(
    ("script", "error"),
    [
        (
            "elements.create('card')",
            "IntegrationError: A valid Element name must be provided. Valid Elements are: "
            "address, expressCheckout, linkAuthentication, payment; you passed: card.",
        ),
        (
            "elements.create('address', {mode: 'shipping'}); "
            "elements.create('address', {mode: 'shipping'})",
            "IntegrationError: Can only create one Element of type address.",
        ),
        (
            "elements.create('linkAuthentication'); elements.create('linkAuthentication')",
            "IntegrationError: Can only create one Element of type linkAuthentication.",
        ),
        (
            "elements.create('address', {})",
            "IntegrationError: Invalid value for create(): mode should be one of the following "
            "strings: shipping, billing. You specified: undefined.",
        ),
        (
            "elements.create('address', {mode: 'shipping', fields: {phone: 'sometimes'}})",
            "IntegrationError: Invalid value for create(): fields.phone should be one of the "
            "following strings: always, never, auto. You specified: sometimes.",
        ),
        (
            "Stripe(PK).elements({loader: 'sometimes'})",
            "IntegrationError: Invalid value for elements(): loader should be one of",
        ),
    ],
)
def test_element_mistakes_throw_integration_error(
    page: Page, merchant: MerchantServer, script: str, error: str
) -> None:
    page.goto(f"{merchant.url}/blank")

    thrown = page.evaluate(
        """async ([script, pk]) => {
            const elements = Stripe(pk).elements({mode: 'payment', amount: 2300,
                                                  currency: 'sgd'});
            try { new Function('PK', 'elements', script)(pk, elements); } catch (e) {
                return e.name + ': ' + e.message; }
            return 'nothing thrown';
        }""",
        [script, merchant.emulator.publishable_key],
    )

    assert thrown.startswith(error)


def test_a_billing_and_a_shipping_address_element_live_side_by_side(
    page: Page, merchant: MerchantServer
) -> None:
    page.goto(f"{merchant.url}/blank")

    modes = page.evaluate(
        """(pk) => {
            const elements = Stripe(pk).elements({mode: 'payment', amount: 2300,
                                                  currency: 'sgd'});
            elements.create('address', {mode: 'shipping'});
            elements.create('address', {mode: 'billing'});
            return [elements.getElement('address', {mode: 'billing'})._options.mode,
                    elements.getElement('address', {mode: 'shipping'})._options.mode,
                    elements.getElement('payment'), elements.getElement('expressCheckout')];
        }""",
        merchant.emulator.publishable_key,
    )

    assert modes == ["billing", "shipping", None, None]


def test_express_checkout_element_is_ready_with_no_wallet(
    page: Page, merchant: MerchantServer
) -> None:
    page.goto(f"{merchant.url}/blank")

    seen = page.evaluate(
        """(pk) => new Promise((resolve) => {
            const elements = Stripe(pk).elements({mode: 'payment', amount: 2300,
                                                  currency: 'sgd'});
            const express = elements.create('expressCheckout', {buttonType: {applePay: 'buy'}});
            const fired = [];
            ['click', 'confirm', 'cancel', 'shippingaddresschange'].forEach((type) =>
                express.on(type, () => fired.push(type)));
            express.on('ready', (event) => setTimeout(() => resolve({
                keys: Object.keys(event).sort(),
                elementType: event.elementType,
                available: event.availablePaymentMethods === undefined,
                fired,
                found: elements.getElement('expressCheckout') === express,
                height: box.getBoundingClientRect().height,
            }), 50));
            const box = document.createElement('div');
            document.body.append(box);
            express.mount(box);
        })""",
        merchant.emulator.publishable_key,
    )

    assert seen == {
        "keys": ["availablePaymentMethods", "elementType"],
        "elementType": "expressCheckout",
        "available": True,
        "fired": [],
        "found": True,
        "height": 0,
    }


def test_fetch_updates_shows_the_payment_intents_new_amount(
    page: Page, merchant: MerchantServer, client: stripe.StripeClient
) -> None:
    intent_id = open_sample(page, merchant)
    element = page.get_by_test_id("payment-element")
    expect(element).to_have_attribute("data-amount", "2300")

    client.v1.payment_intents.update(intent_id, params={"amount": 4600})
    expect(element).to_have_attribute("data-amount", "2300")  # until the page asks

    assert page.evaluate("() => elements.fetchUpdates()") == {}
    expect(element).to_have_attribute("data-amount", "4600")
    expect(element).to_have_attribute("data-currency", "sgd")


def test_elements_update_takes_amount_appearance_and_locale(
    page: Page, merchant: MerchantServer
) -> None:
    page.goto(f"{merchant.url}/blank")

    seen = page.evaluate(
        """(pk) => new Promise((resolve) => {
            const elements = Stripe(pk).elements({mode: 'payment', amount: 2300,
                currency: 'sgd', loader: 'always', appearance: {theme: 'flat', labels: 'floating',
                rules: {'.Input': {padding: '8px'}}}});
            const payment = elements.create('payment');
            const box = document.createElement('div');
            document.body.append(box);
            payment.mount(box);
            payment.on('ready', async () => {
                const root = box.firstElementChild;
                const updated = await elements.update({amount: 5000, currency: 'usd',
                    locale: 'fr', appearance: {theme: 'night',
                    variables: {colorPrimary: '#ff5500', borderRadius: '12px'}}});
                const input = box.querySelector('[data-testid=card-number]');
                resolve({updated: updated === undefined, amount: root.dataset.amount,
                         currency: root.dataset.currency, lang: root.lang,
                         radius: getComputedStyle(input).borderTopLeftRadius,
                         primary: getComputedStyle(root).getPropertyValue('--se-primary')});
            });
        })""",
        merchant.emulator.publishable_key,
    )

    assert seen == {
        "updated": True,
        "amount": "5000",
        "currency": "usd",
        "lang": "fr",
        "radius": "12px",
        "primary": "#ff5500",
    }


@pytest.mark.parametrize("width", [390, 1280])
def test_address_checkout_fits_phone_and_desktop_widths(
    page: Page, merchant: MerchantServer, width: int, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    open_address_page(page, merchant, {"mode": "shipping", "fields": {"phone": "always"}})
    page.get_by_test_id("pay").click()  # every error on display: the longest the form gets
    expect(page.get_by_test_id("address-name-error")).not_to_be_empty()

    page.screenshot(path=tmp_path / f"address-{width}.png", full_page=True)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    boxes = [
        page.get_by_test_id(testid).bounding_box()
        for testid in ("address-city", "address-state", "address-postal-code")
    ]
    assert all(box is not None and box["width"] >= 120 for box in boxes)
