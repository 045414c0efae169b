"""Stripe.js stand-in and hosted pages in Chromium: a merchant page on another origin pays."""

from __future__ import annotations

import pytest
import stripe
from merchant_site import FUTURE_EXPIRY, MerchantServer, fill_card, query_of
from playwright.sync_api import Page, Request, expect

from stripe_emulator import RunningEmulator

pytestmark = pytest.mark.e2e


def open_payment_page(page: Page, merchant: MerchantServer, query: str = "") -> str:
    """Opens the merchant's page, waits for the Payment Element, returns the PaymentIntent id."""
    page.goto(f"{merchant.url}/pay{query}")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    return page.locator("body").get_attribute("data-payment-intent") or ""


def test_paying_with_a_good_card_lands_on_return_url_and_pays(
    page: Page, merchant: MerchantServer, client: stripe.StripeClient
) -> None:
    intent_id = open_payment_page(page, merchant)

    fill_card(page, "4242 4242 4242 4242")
    page.get_by_test_id("pay").click()

    page.wait_for_url(f"{merchant.url}/return?**")
    query = query_of(page.url)
    assert query["order"] == "42"
    assert query["payment_intent"] == intent_id
    assert query["redirect_status"] == "succeeded"
    assert query["payment_intent_client_secret"].startswith(f"{intent_id}_secret_")
    expect(page.get_by_test_id("return-status")).to_have_text("succeeded")
    intent = client.v1.payment_intents.retrieve(intent_id)
    assert intent.status == "succeeded"
    assert intent.amount_received == 2300
    assert intent.receipt_email == "reader@example.com"


def test_declined_card_shows_message_on_page_then_good_card_pays(
    page: Page, merchant: MerchantServer, client: stripe.StripeClient
) -> None:
    intent_id = open_payment_page(page, merchant)
    pay_url = page.url

    fill_card(page, "4000 0000 0000 0002")
    page.get_by_test_id("pay").click()

    expect(page.get_by_test_id("payment-message")).to_have_text("Your card was declined.")
    assert page.url == pay_url
    assert client.v1.payment_intents.retrieve(intent_id).status == "requires_payment_method"

    page.get_by_test_id("card-number").fill("4242 4242 4242 4242")
    page.get_by_test_id("pay").click()

    page.wait_for_url(f"{merchant.url}/return?**")
    assert query_of(page.url)["redirect_status"] == "succeeded"
    assert client.v1.payment_intents.retrieve(intent_id).status == "succeeded"


@pytest.mark.parametrize(
    ("button", "redirect_status", "status"),
    [
        ("3ds-complete", "succeeded", "succeeded"),
        ("3ds-fail", "failed", "requires_payment_method"),
    ],
)
def test_three_d_secure_card_goes_through_the_test_page(
    page: Page,
    merchant: MerchantServer,
    client: stripe.StripeClient,
    button: str,
    redirect_status: str,
    status: str,
) -> None:
    intent_id = open_payment_page(page, merchant)

    fill_card(page, "4000 0025 0000 3155")
    page.get_by_test_id("pay").click()
    expect(page.get_by_text("This is a test authentication page")).to_be_visible()
    expect(page.get_by_test_id("3ds-amount")).to_have_text("S$23.00")
    page.get_by_test_id(button).click()

    page.wait_for_url(f"{merchant.url}/return?**")
    assert query_of(page.url)["redirect_status"] == redirect_status
    assert query_of(page.url)["payment_intent"] == intent_id
    intent = client.v1.payment_intents.retrieve(intent_id)
    assert intent.status == status
    if status == "requires_payment_method":
        assert intent.last_payment_error is not None
        assert intent.last_payment_error.code == "payment_intent_authentication_failure"


@pytest.mark.parametrize(
    ("number", "expiry", "cvc", "postal", "message"),
    [
        ("4242 4242 4242", FUTURE_EXPIRY, "123", "018956", "Your card number is incomplete."),
        ("4242 4242 4242 4241", FUTURE_EXPIRY, "123", "018956", "Your card number is invalid."),
        (
            "4242 4242 4242 4242",
            "12 / 4",
            "123",
            "018956",
            "Your card's expiration date is incomplete.",
        ),
        (
            "4242 4242 4242 4242",
            "01 / 20",
            "123",
            "018956",
            "Your card's expiration year is in the past.",
        ),
        (
            "4242 4242 4242 4242",
            "13 / 40",
            "123",
            "018956",
            "Your card's expiration month is invalid.",
        ),
        (
            "4242 4242 4242 4242",
            FUTURE_EXPIRY,
            "12",
            "018956",
            "Your card's security code is incomplete.",
        ),
        (
            "3782 822463 10005",
            FUTURE_EXPIRY,
            "123",
            "018956",
            "Your card's security code is incomplete.",
        ),
        ("4242 4242 4242 4242", FUTURE_EXPIRY, "123", "", "Your postal code is incomplete."),
    ],
)
def test_invalid_card_details_are_refused_in_the_browser_without_calling_the_api(
    page: Page,
    merchant: MerchantServer,
    client: stripe.StripeClient,
    confirm_calls: list[Request],
    number: str,
    expiry: str,
    cvc: str,
    postal: str,
    message: str,
) -> None:
    intent_id = open_payment_page(page, merchant)

    fill_card(page, number, expiry, cvc, postal)
    page.get_by_test_id("pay").click()

    expect(page.get_by_test_id("payment-message")).to_have_text(message)
    expect(page.get_by_test_id("card-error")).to_have_text(message)
    assert confirm_calls == []
    assert client.v1.payment_intents.retrieve(intent_id).status == "requires_payment_method"


def test_empty_form_shows_every_field_error(page: Page, merchant: MerchantServer) -> None:
    open_payment_page(page, merchant)

    page.get_by_test_id("pay").click()

    expect(page.get_by_test_id("payment-message")).to_have_text("Your card number is incomplete.")
    expect(page.get_by_test_id("card-number-error")).to_have_text("Your card number is incomplete.")
    expect(page.get_by_test_id("card-expiry-error")).to_have_text(
        "Your card's expiration date is incomplete."
    )
    expect(page.get_by_test_id("card-cvc-error")).to_have_text(
        "Your card's security code is incomplete."
    )
    expect(page.get_by_test_id("postal-code-error")).to_have_text("Your postal code is incomplete.")
    expect(page.get_by_test_id("card-number")).to_have_attribute("aria-invalid", "true")


def test_payment_element_is_styled_and_pays_under_a_strict_content_security_policy(
    page: Page, merchant: MerchantServer, client: stripe.StripeClient
) -> None:
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    intent_id = open_payment_page(page, merchant, "?csp=strict&redirect=if_required")

    fill_card(page, "4242 4242 4242 4242")
    page.get_by_test_id("pay").click()

    expect(page.get_by_test_id("payment-result")).to_have_text("succeeded")
    expect(page.get_by_test_id("card-number")).to_have_css("border-radius", "5px")
    assert [text for text in violations if "Content Security Policy" in text] == []
    assert client.v1.payment_intents.retrieve(intent_id).status == "succeeded"


def test_clicking_pay_straight_from_an_incomplete_field_still_submits(
    page: Page, merchant: MerchantServer, confirm_calls: list[Request]
) -> None:
    open_payment_page(page, merchant)
    page.get_by_test_id("card-number").press_sequentially("4242 4242")

    page.get_by_test_id("pay").click()

    expect(page.get_by_test_id("payment-message")).to_have_text("Your card number is incomplete.")
    assert confirm_calls == []


@pytest.mark.parametrize(
    ("typed", "shown", "brand"),
    [
        ("4242424242424242", "4242 4242 4242 4242", "Visa"),
        ("5555555555554444", "5555 5555 5555 4444", "Mastercard"),
        ("378282246310005", "3782 822463 10005", "American Express"),
        ("6011111111111117", "6011 1111 1111 1117", "Discover"),
    ],
)
def test_card_number_is_grouped_and_its_brand_shown_as_typed(
    page: Page, merchant: MerchantServer, typed: str, shown: str, brand: str
) -> None:
    open_payment_page(page, merchant)

    page.get_by_test_id("card-number").press_sequentially(typed)

    expect(page.get_by_test_id("card-number")).to_have_value(shown)
    expect(page.get_by_test_id("card-brand")).to_have_text(brand)
    expect(page.get_by_test_id("card-expiry")).to_be_focused()


def test_expiry_is_formatted_as_typed_and_backspace_deletes_through_separator(
    page: Page, merchant: MerchantServer
) -> None:
    open_payment_page(page, merchant)
    expiry = page.get_by_test_id("card-expiry")

    expiry.press_sequentially("4")
    expect(expiry).to_have_value("04 / ")
    expiry.press("Backspace")
    expiry.press("Backspace")
    expect(expiry).to_have_value("0")
    expiry.press_sequentially("130")

    expect(expiry).to_have_value("01 / 30")
    expect(page.get_by_test_id("card-cvc")).to_be_focused()


def test_past_expiry_is_flagged_as_soon_as_typed(page: Page, merchant: MerchantServer) -> None:
    open_payment_page(page, merchant)

    page.get_by_test_id("card-expiry").press_sequentially("0120")

    expect(page.get_by_test_id("card-expiry-error")).to_have_text(
        "Your card's expiration year is in the past."
    )
    expect(page.locator("body[data-complete=false]")).to_be_attached()


def test_redirect_if_required_resolves_without_leaving_the_page(
    page: Page, merchant: MerchantServer, client: stripe.StripeClient
) -> None:
    intent_id = open_payment_page(page, merchant, "?redirect=if_required")
    pay_url = page.url

    fill_card(page, "5555 5555 5555 4444")
    page.get_by_test_id("pay").click()

    expect(page.get_by_test_id("payment-result")).to_have_text("succeeded")
    assert page.url == pay_url
    assert client.v1.payment_intents.retrieve(intent_id).status == "succeeded"


def test_network_failure_resolves_a_connection_error_and_leaves_fields_editable(
    page: Page, merchant: MerchantServer
) -> None:
    open_payment_page(page, merchant)
    page.route("**/confirm", lambda route: route.abort())

    fill_card(page, "4242 4242 4242 4242")
    page.get_by_test_id("pay").click()

    expect(page.get_by_test_id("payment-message")).to_have_text(
        "An error occurred with our connection to Stripe."
    )
    expect(page.get_by_test_id("card-number")).to_be_editable()


@pytest.mark.parametrize(
    ("script", "error"),
    [
        ("Stripe('')", "IntegrationError: Please call Stripe() with your publishable key."),
        ("Stripe('sk_test_emulator')", "IntegrationError: You should not use your secret key"),
        (
            "Stripe(PK).confirmPayment({clientSecret: 'pi_1_secret_2', confirmParams: {}})",
            "IntegrationError: stripe.confirmPayment(): the `confirmParams.return_url`",
        ),
        (
            "Stripe(PK).retrievePaymentIntent('nonsense')",
            "IntegrationError: Invalid value for stripe.retrievePaymentIntent(): clientSecret",
        ),
        (
            "Stripe(PK).elements({clientSecret: 'pi_1_secret_2'}).create('card')",
            "IntegrationError: A valid Element name must be provided.",
        ),
        (
            "Stripe(PK).elements({mode: 'payment'}).create('payment').mount('#nowhere')",
            "IntegrationError: The selector you specified (#nowhere) applies to no DOM elements",
        ),
    ],
)
def test_integration_mistakes_throw_integration_error(
    page: Page, merchant: MerchantServer, emulator: RunningEmulator, script: str, error: str
) -> None:
    page.goto(f"{merchant.url}/blank")

    thrown = page.evaluate(
        """async ([script, pk]) => {
            try { await new Function('PK', 'return ' + script)(pk); } catch (e) {
                return e.name + ': ' + e.message; }
            return 'nothing thrown';
        }""",
        [script, emulator.publishable_key],
    )

    assert thrown.startswith(error)


def test_element_with_unknown_client_secret_fires_loaderror(
    page: Page, merchant: MerchantServer, emulator: RunningEmulator
) -> None:
    page.goto(f"{merchant.url}/blank")

    event = page.evaluate(
        """(pk) => new Promise((resolve) => {
            const elements = Stripe(pk).elements({clientSecret: 'pi_missing_secret_nope'});
            const element = elements.create('payment');
            element.on('loaderror', resolve);
            element.on('ready', () => resolve({ready: true}));
            const box = document.createElement('div');
            document.body.append(box);
            element.mount(box);
        })""",
        emulator.publishable_key,
    )

    assert event["elementType"] == "payment"
    assert event["error"]["type"] == "invalid_request_error"


def test_retrieve_payment_intent_with_wrong_secret_resolves_an_error(
    page: Page, merchant: MerchantServer, emulator: RunningEmulator
) -> None:
    intent_id = open_payment_page(page, merchant)

    result = page.evaluate(
        "([pk, secret]) => Stripe(pk).retrievePaymentIntent(secret)",
        [emulator.publishable_key, f"{intent_id}_secret_wrong"],
    )

    assert "paymentIntent" not in result
    assert result["error"]["type"] == "invalid_request_error"


def create_checkout_session(
    client: stripe.StripeClient, merchant: MerchantServer
) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "sgd",
                        "unit_amount": 1150,
                        "product_data": {"name": "The Dream Machine"},
                    },
                    "quantity": 2,
                }
            ],
            "success_url": f"{merchant.url}/success?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{merchant.url}/cancelled",
        }
    )


def fill_checkout(page: Page, number: str) -> None:
    page.get_by_test_id("checkout-email").fill("reader@example.com")
    page.get_by_test_id("checkout-card-number").fill(number)
    page.get_by_test_id("checkout-card-expiry").fill(FUTURE_EXPIRY)
    page.get_by_test_id("checkout-card-cvc").fill("123")
    page.get_by_test_id("checkout-postal-code").fill("018956")


def test_hosted_checkout_page_pays_and_lands_on_success_url(
    page: Page, merchant: MerchantServer, client: stripe.StripeClient
) -> None:
    session = create_checkout_session(client, merchant)
    page.goto(session.url or "")
    expect(page.get_by_test_id("checkout-total")).to_have_text("S$23.00")
    expect(page.get_by_test_id("test-mode-banner")).to_contain_text("Test mode")

    fill_checkout(page, "4242 4242 4242 4242")
    page.get_by_test_id("checkout-submit").click()

    page.wait_for_url(f"{merchant.url}/success?**")
    assert query_of(page.url)["session_id"] == session.id
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert paid.status == "complete"
    assert paid.payment_status == "paid"
    assert paid.amount_total == 2300


def test_hosted_checkout_page_shows_decline_and_stays(
    page: Page, merchant: MerchantServer, client: stripe.StripeClient
) -> None:
    session = create_checkout_session(client, merchant)
    page.goto(session.url or "")

    fill_checkout(page, "4000 0000 0000 0002")
    page.get_by_test_id("checkout-submit").click()

    expect(page.get_by_test_id("checkout-error")).to_have_text("Your card was declined.")
    expect(page.get_by_test_id("checkout-email")).to_have_value("reader@example.com")
    expect(page.get_by_test_id("checkout-card-number")).to_have_value("")
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_hosted_checkout_back_link_goes_to_cancel_url(
    page: Page, merchant: MerchantServer, client: stripe.StripeClient
) -> None:
    session = create_checkout_session(client, merchant)
    page.goto(session.url or "")

    page.get_by_test_id("checkout-cancel").click()

    page.wait_for_url(f"{merchant.url}/cancelled")
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
