"""A checkout page submitted again (double clicks, a retry after a lost answer) places one order,
through the real server, even from a browser that has no cookie of the shop's yet."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bookshop.models import Order
from bookshop.testing import LiveServer, csrf_token_in
from shop_support import HAMMING, count

SUBMITS = 10


@pytest.mark.timeout(120)
def test_ten_parallel_submits_without_a_browser_cookie_return_one_order(
    make_app, emulator, session
):
    app = make_app()
    server = LiveServer(app).start()
    try:
        with requests.Session() as browser:
            page = browser.get(f"{server.url}/checkout/{HAMMING}", timeout=30)
            assert "bookshop_browser" not in browser.cookies  # a first visit
            token = csrf_token_in(page.text)
            checkout_id = re.search(r'data-checkout-id="([^"]+)"', page.text).group(1)
            cookies = browser.cookies.get_dict()
        start = threading.Barrier(SUBMITS)

        def submit(_: int) -> tuple[int, str, str]:
            start.wait()
            response = requests.post(
                f"{server.url}/checkout/{HAMMING}/payment-intent",
                json={"email": "reader@example.com", "quantity": 1, "checkout_id": checkout_id},
                headers={"X-CSRFToken": token, "Accept": "application/json"},
                cookies=cookies,  # the session's CSRF cookie, never a browser id
                timeout=60,
            )
            answer = response.json()
            return response.status_code, answer.get("order", ""), answer.get("clientSecret", "")

        with ThreadPoolExecutor(SUBMITS) as pool:
            results = list(pool.map(submit, range(SUBMITS)))
    finally:
        server.stop()

    assert {status for status, _, _ in results} == {201}
    assert len({reference for _, reference, _ in results}) == 1
    assert len({secret for _, _, secret in results}) == 1
    assert count(session, Order) == 1


def test_a_resubmit_after_a_lost_answer_finds_the_same_order(make_app, emulator, session):
    app = make_app()
    client = app.test_client()
    page = client.get(f"/checkout/{HAMMING}").get_data(as_text=True)
    body = {
        "email": "reader@example.com",
        "quantity": 1,
        "checkout_id": re.search(r'data-checkout-id="([^"]+)"', page).group(1),
    }
    headers = {"X-CSRFToken": csrf_token_in(page)}

    first = client.post(f"/checkout/{HAMMING}/payment-intent", json=body, headers=headers)
    client.delete_cookie("bookshop_browser")  # the answer, and its cookie, never arrived
    again = client.post(f"/checkout/{HAMMING}/payment-intent", json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json["order"] == again.json["order"]
    assert first.json["clientSecret"] == again.json["clientSecret"]
    assert count(session, Order) == 1
    # The browser adopts the order, so "My orders" lists it.
    assert first.json["order"] in client.get("/orders").get_data(as_text=True)
