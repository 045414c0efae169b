"""Webhook endpoints: create (with its signing secret), retrieve, update, list, delete."""

from __future__ import annotations

from typing import Any

import pytest
import stripe


def new_endpoint(client: stripe.StripeClient, **params: Any) -> stripe.WebhookEndpoint:
    return client.v1.webhook_endpoints.create(
        params={"url": "https://shop.test/webhooks", "enabled_events": ["*"], **params}
    )


def test_created_endpoint_carries_its_secret_once(fresh_client: stripe.StripeClient) -> None:
    created = new_endpoint(
        fresh_client,
        enabled_events=["payment_intent.succeeded", "charge.refunded"],
        description="orders",
    )

    found = fresh_client.v1.webhook_endpoints.retrieve(created.id)

    assert created.secret.startswith("whsec_")
    assert created.enabled_events == ["payment_intent.succeeded", "charge.refunded"]
    assert (created.status, created.description) == ("enabled", "orders")
    assert found.url == "https://shop.test/webhooks"
    assert "secret" not in found


def test_update_changes_url_events_description_and_status(
    fresh_client: stripe.StripeClient,
) -> None:
    created = new_endpoint(fresh_client)

    updated = fresh_client.v1.webhook_endpoints.update(
        created.id,
        params={
            "url": "http://127.0.0.1:9/hooks",
            "enabled_events": ["charge.succeeded"],
            "description": "new",
            "disabled": True,
        },
    )

    assert updated.url == "http://127.0.0.1:9/hooks"
    assert updated.enabled_events == ["charge.succeeded"]
    assert (updated.description, updated.status) == ("new", "disabled")
    assert fresh_client.v1.webhook_endpoints.retrieve(created.id).status == "disabled"


def test_endpoints_are_listed_newest_first(fresh_client: stripe.StripeClient) -> None:
    first = new_endpoint(fresh_client)
    second = new_endpoint(fresh_client)

    listed = fresh_client.v1.webhook_endpoints.list()

    assert [endpoint.id for endpoint in listed.data] == [second.id, first.id]


def test_deleted_endpoint_is_gone(fresh_client: stripe.StripeClient) -> None:
    created = new_endpoint(fresh_client)

    deleted = fresh_client.v1.webhook_endpoints.delete(created.id)

    assert deleted.deleted is True and deleted.id == created.id
    with pytest.raises(stripe.InvalidRequestError) as raised:
        fresh_client.v1.webhook_endpoints.retrieve(created.id)
    assert raised.value.http_status == 404
    assert fresh_client.v1.webhook_endpoints.list().data == []


@pytest.mark.parametrize(
    "params",
    [
        {"url": "ftp://shop.test/hooks"},
        {"url": "not a url"},
        {"enabled_events": ["not an event"]},
        {"enabled_events": ""},
        {"bogus": "1"},
    ],
    ids=["ftp", "no-scheme", "bad-event", "no-events", "unknown-param"],
)
def test_bad_endpoints_are_refused(
    fresh_client: stripe.StripeClient, params: dict[str, Any]
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        new_endpoint(fresh_client, **params)

    assert raised.value.http_status == 400
    assert fresh_client.v1.webhook_endpoints.list().data == []
