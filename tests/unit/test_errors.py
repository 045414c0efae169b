"""App-wide error handling: a page or JSON, never a traceback."""

from bookshop.views import shop


def test_an_unexpected_error_shows_the_500_page_without_details(client, monkeypatch, caplog):
    def broken(_session):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(shop, "books_on_sale", broken)
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert 'data-status="500"' in html
    assert "hunter2" not in html and "Traceback" not in html
    assert "unhandled error on GET /" in caplog.text


def test_method_not_allowed_is_a_page_not_a_crash(client):
    response = client.delete("/")
    assert response.status_code == 405
    assert 'data-testid="error-page"' in response.get_data(as_text=True)


def test_oversized_requests_are_refused(client, csrf_headers):
    response = client.post(
        "/checkout/working-in-public/payment-intent",
        data=b"{" + b" " * (300 * 1024) + b"}",
        content_type="application/json",
        headers=csrf_headers,
    )
    assert response.status_code in (400, 413)
