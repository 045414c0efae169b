"""The public address (SHOP_URL) and trusted hosts, health endpoints, request ids and logs."""

import io
import json
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import g
from sqlalchemy import select

from bookshop import health, logs
from bookshop.config import ConfigError, build
from bookshop.extensions import db
from bookshop.models import Email
from shop_support import placed_order

KEYS = {"STRIPE_SECRET_KEY": "sk_test_abc", "STRIPE_PUBLISHABLE_KEY": "pk_test_abc"}
PRODUCTION = {
    "BOOKSHOP_ENV": "production",
    "SECRET_KEY": "k" * 48,
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
    **KEYS,
}
BOOK = "working-in-public"


def test_production_refuses_to_start_without_shop_url():
    with pytest.raises(ConfigError, match="SHOP_URL is required in production"):
        build(PRODUCTION)


def test_production_trusts_only_the_host_of_shop_url():
    cfg = build({**PRODUCTION, "SHOP_URL": "https://shop.example.com/"})
    assert cfg["SHOP_URL"] == "https://shop.example.com"
    assert cfg["TRUSTED_HOSTS"] == ["shop.example.com"]


def test_development_defaults_to_localhost_on_its_port():
    cfg = build({"SECRET_KEY": "x", "PORT": "5123", **KEYS})
    assert cfg["SHOP_URL"] == "http://localhost:5123"
    assert cfg["TRUSTED_HOSTS"] == ["localhost", "127.0.0.1"]


@pytest.mark.parametrize(
    "value", ["shop.example", "ftp://shop.example", "https://shop.example/shop", "https://x/?a=1"]
)
def test_a_shop_url_with_a_path_or_another_scheme_is_refused(value):
    with pytest.raises(ConfigError, match="SHOP_URL"):
        build({**PRODUCTION, "SHOP_URL": value})


def test_a_foreign_host_header_gets_400_and_never_reaches_a_page(make_app):
    client = make_app(SHOP_URL="https://shop.example").test_client()
    response = client.get(f"/checkout/{BOOK}", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example/checkout" not in response.get_data(as_text=True)


def test_the_return_url_comes_from_shop_url_whatever_host_was_asked(make_app):
    client = make_app(
        SHOP_URL="https://shop.example", TRUSTED_HOSTS="shop.example,alias.example"
    ).test_client()
    html = client.get(f"/checkout/{BOOK}", base_url="http://alias.example").get_data(as_text=True)
    assert 'data-return-url="https://shop.example/checkout/complete"' in html


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_checks_the_database_at_head_and_stripe(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {
        "database": "ok",
        "stripe": "ok",
        "redis": "not configured",
    }


def test_readyz_is_503_when_redis_is_configured_but_unreachable(make_app):
    client = make_app(REDIS_URL="redis://127.0.0.1:9/0").test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"] == "unreachable"


def test_every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept(client):
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 16
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-1234abcd"}).headers["X-Request-ID"]
    assert kept == "lb-1234abcd"
    junk = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert junk != "<script>"


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("client secret pi_3Abc_secret_XyZ123 seen", "XyZ123"),
        ("key sk_test_51Hsecretvalue", "51Hsecretvalue"),
        ("endpoint whsec_abcdef123", "abcdef123"),
        ("card 4242 4242 4242 4242 used", "4242 4242 4242 4242"),
        ("card 4000000000000002 used", "4000000000000002"),
    ],
)
def test_secrets_and_card_numbers_are_masked_in_log_lines(text, hidden):
    assert hidden not in logs.mask(text)


def test_json_log_lines_carry_the_request_id_and_no_client_secret(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RequestContextFilter())
    handler.setFormatter(logs.formatter_for("json"))
    logger = logging.getLogger("bookshop.test-json")
    logger.addHandler(handler)
    try:
        with app.test_request_context("/"):
            g.request_id = "req-abc12345"
            logger.warning("paid with %s", "pi_1_secret_abc")
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue().strip()
    record = json.loads(line)
    assert record["request_id"] == "req-abc12345"
    assert record["level"] == "WARNING"
    assert "secret_abc" not in line


def test_emails_link_to_shop_url_whatever_host_the_order_came_through(make_app, fake_stripe):
    app = make_app(SHOP_URL="https://shop.example", TRUSTED_HOSTS="shop.example,alias.example")
    with app.app_context():
        placed = placed_order(db.session)
    fake_stripe.set_status(placed.payment_intent, "succeeded")

    # The customer comes back through another host name: the email is queued in that request.
    response = app.test_client().get(
        fake_stripe.return_path(placed.payment_intent), base_url="http://alias.example"
    )

    assert response.status_code == 200
    with app.app_context():
        body = db.session.scalars(select(Email.body)).one()
    assert "https://shop.example/orders/" in body
    assert "alias.example" not in body


def test_the_migrations_head_is_the_one_alembic_finds():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bookshop.database import alembic_ini

    expected = ScriptDirectory.from_config(Config(str(alembic_ini()))).get_current_head()
    assert health.migrations_head() == expected


def test_the_heads_are_the_revisions_no_migration_follows(tmp_path):
    files = {
        "a.py": 'revision: str = "a"\ndown_revision: str | None = None\n',
        "b.py": 'revision = "b"\ndown_revision = "a"\n',
        "c.py": 'revision = "c"\ndown_revision = "a"\n',
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert health._heads(tmp_path) == ["b", "c"]
    (tmp_path / "d.py").write_text('revision = "d"\ndown_revision = ("b", "c")\n')  # a merge
    assert health._heads(tmp_path) == ["d"]


def test_the_first_probes_at_once_all_read_the_same_head():
    health._migrations_head.cache_clear()
    with ThreadPoolExecutor(16) as pool:
        heads = set(pool.map(lambda _: health.migrations_head(), range(64)))
    assert heads == {health.migrations_head()}
