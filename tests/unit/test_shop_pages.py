"""The storefront pages, and 404s for anything that is not a book."""

import pytest


def test_the_home_page_shows_every_book_with_its_price(client):
    html = client.get("/").get_data(as_text=True)
    assert html.count('data-testid="book-card"') == 9
    assert "The Art of Doing Science and Engineering" in html
    assert "S$23.00" in html and "S$25.00" in html and "S$28.00" in html


def test_a_book_page_shows_the_book_and_a_buy_button(client):
    response = client.get("/books/the-making-of-prince-of-persia")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Jordan Mechner" in html
    assert "Journals 1985–1993" in html
    assert 'href="/checkout/the-making-of-prince-of-persia"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/books/no-such-book",
        "/books/UPPERCASE",
        "/books/%00",
        "/books/" + "a" * 300,
        "/books/..%2F..%2Fetc",
        "/checkout/no-such-book",
        "/covers/no-such-book.svg",
        "/nowhere",
    ],
)
def test_unknown_or_malformed_book_ids_get_the_404_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert 'data-testid="error-page"' in response.get_data(as_text=True)


def test_404_is_json_for_scripts(client):
    response = client.get("/books/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"]["status"] == 404


def test_covers_are_cacheable_svg(client):
    response = client.get("/covers/working-in-public.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.cache_control.max_age == 86400
    again = client.get(
        "/covers/working-in-public.svg", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_the_payments_notice_shows_on_every_page_when_configured(app, client):
    app.config["PAYMENTS_NOTICE"] = "Test mode: payments are simulated locally"
    for path in ["/", "/books/working-in-public", "/checkout/working-in-public", "/missing"]:
        html = client.get(path).get_data(as_text=True)
        assert 'data-testid="payments-notice">Test mode: payments are simulated locally' in html


def test_no_notice_without_the_setting(client):
    assert "payments-notice" not in client.get("/").get_data(as_text=True)


def test_the_stylesheet_and_script_are_served_locally(client):
    for path in ["/static/css/shop.css", "/static/js/checkout.js", "/static/favicon.svg"]:
        with client.get(path) as response:
            assert response.status_code == 200
