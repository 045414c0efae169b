"""Every page at phone, tablet and desktop widths: nothing scrolls sideways, no button label wraps,
axe-core finds no serious or critical problem (phone and desktop), and a screenshot of each is
left in tests/e2e/screenshots/<width>/ for people to look through."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from shop_support import HAMMING, PUBLIC, fill_card

pytestmark = pytest.mark.e2e

WIDTHS = {320: 640, 390: 844, 768: 1024, 1280: 800}
CHECKED_BY_AXE = (390, 1280)
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent / "screenshots"

# Buttons and links styled as buttons whose label runs over more than one line.
WRAPPED_BUTTONS = """() => {
  const wrapped = [];
  for (const el of document.querySelectorAll("button, .button")) {
    const box = el.getBoundingClientRect();
    if (!box.width || !el.offsetParent) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
    if (tops.size > 1) wrapped.push(el.textContent.trim());
  }
  return wrapped;
}"""

# Stripe's own Elements are Stripe's to keep accessible (real Stripe serves them in iframes).
AXE_RUN = """async () => {
  const result = await axe.run(
    { exclude: [["#payment-element"], ["#address-element"]] },
    { resultTypes: ["violations"], iframes: false },
  );
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}"""


def shop_pages(page: Page, shop) -> dict[str, str]:
    """Walk through the shop as a customer and note the address of every kind of page."""
    base = shop.url
    urls = {"home": f"{base}/", "book": f"{base}/books/{HAMMING}", "empty-cart": f"{base}/cart"}
    page.goto(f"{base}/books/{PUBLIC}")
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    page.goto(f"{base}/books/{HAMMING}")
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    urls["cart"] = f"{base}/cart"
    urls["checkout"] = f"{base}/checkout"
    urls["buy-now"] = f"{base}/checkout/{HAMMING}"

    page.goto(urls["checkout"])
    page.get_by_test_id("email").fill("reader@example.com")
    page.get_by_test_id("continue").click()
    expect(page.get_by_test_id("card-number")).to_be_visible()
    fill_card(page)
    page.get_by_test_id("pay-button").click()
    expect(page.get_by_test_id("payment-result")).to_have_attribute("data-status", "succeeded")
    urls["receipt"] = page.url
    page.get_by_test_id("order-page-link").click()
    urls["order-paid"] = page.url
    urls["refund"] = f"{page.url}/refund"
    urls["my-orders"] = f"{base}/orders"
    urls["unknown-return"] = f"{base}/checkout/complete"
    page.goto(urls["book"])  # paying emptied the cart: fill it again for its pages
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    urls["not-found"] = f"{base}/books/no-such-book"

    page.goto(urls["buy-now"])
    page.get_by_test_id("email").fill("reader@example.com")
    page.get_by_test_id("continue").click()
    expect(page.get_by_test_id("card-number")).to_be_visible()
    order_url = page.get_by_test_id("order-link").get_attribute("href")
    urls["order-unpaid"] = f"{base}{order_url}"
    urls["pay-later"] = f"{base}{order_url}/pay"
    urls["cancel"] = f"{base}{order_url}/cancel"
    return urls


def review_a_refund(page: Page, url: str) -> None:
    """The refund review page, for one copy."""
    page.goto(url)
    page.get_by_test_id("refund-quantity").first.fill("1")
    page.get_by_test_id("review-refund").click()
    expect(page.get_by_test_id("refund-amount")).to_be_visible()


@pytest.fixture
def axe_page(browser, shop_db):
    """A tab that lets axe-core be injected past the shop's Content-Security-Policy (the policy
    itself is checked by the buying tests)."""
    context = browser.new_context(bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_every_page_fits_reads_well_and_passes_axe(axe_page, shop):
    page = axe_page
    assert AXE.exists(), "axe-core is missing: run `make axe` (npm ci in tests/e2e)"
    urls = shop_pages(page, shop)
    problems: list[str] = []

    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        folder = SCREENSHOTS / str(width)
        folder.mkdir(parents=True, exist_ok=True)
        visits = [(name, lambda url=url: page.goto(url)) for name, url in urls.items()]
        visits.append(("refund-review", lambda: review_a_refund(page, urls["refund"])))
        visits.append(("checkout-payment", lambda: open_payment_step(page, urls["checkout"])))
        for name, visit in visits:
            visit()
            page.wait_for_load_state("load")
            sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if sizes[0] > sizes[1]:
                problems.append(f"{name} at {width}px scrolls sideways: {sizes[0]} > {sizes[1]}")
            for label in page.evaluate(WRAPPED_BUTTONS):
                problems.append(f"{name} at {width}px: the button {label!r} wraps")
            if width in CHECKED_BY_AXE:
                page.add_script_tag(path=str(AXE))
                for violation in page.evaluate(AXE_RUN):
                    problems.append(f"{name} at {width}px: {violation}")
                page.screenshot(path=folder / f"{name}.png", full_page=True)

    assert problems == [], "\n".join(problems)


def open_payment_step(page: Page, url: str) -> None:
    """The checkout with its delivery and card step open (the pending order continued)."""
    page.goto(url)
    page.get_by_test_id("continue").click()
    expect(page.get_by_test_id("card-number")).to_be_visible()
    expect(page.get_by_test_id("shipping-line")).to_be_visible()


def test_a_not_found_page_is_calm_and_says_where_to_go(page, shop):
    page.goto(f"{shop.url}/checkout/complete?payment_intent=pi_bogus")
    expect(page.get_by_test_id("unknown-return")).to_contain_text("We could not find that payment")
    page.get_by_test_id("my-orders-button").click()
    expect(page).to_have_url(re.compile(r"/orders$"))
