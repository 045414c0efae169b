"""Every endpoint, every parameter, odd values: Stripe-shaped 4xx answers, never a 500."""

from __future__ import annotations

import re

import pytest
from emulator_support import Api, object_counts

from stripe_emulator import RunningEmulator
from stripe_emulator.app import ROUTES
from stripe_emulator.resources import Route

# Values of the wrong shape for whatever a parameter expects.
ODD_VALUES = [
    [("{name}", "")],
    [("{name}", "\u0000\u202e☃")],
    [("{name}", "x" * 6000)],
    [("{name}[]", "a"), ("{name}[]", "b")],
    [("{name}[key]", "value")],
]


def _path(rule: str) -> str:
    return re.sub(r"<(\w+)>", lambda match: f"{match.group(1)}_nope", rule)


@pytest.mark.parametrize("route", ROUTES, ids=[f"{route.method} {route.rule}" for route in ROUTES])
def test_odd_values_for_every_parameter_never_cause_a_500(
    fresh: RunningEmulator, route: Route
) -> None:
    api = Api(fresh)
    path = _path(route.rule)
    method = route.method

    statuses = set()
    for name in [*route.spec, "unknown_name"]:
        for shape in ODD_VALUES:
            data = [(key.format(name=name), value) for key, value in shape]
            response = api.request(method, path, data, check=False)
            assert response.status_code < 500, (name, shape, response.text)
            if response.status_code != 200:
                assert response.json()["error"]["type"] == "invalid_request_error"
            statuses.add(response.status_code)

    assert statuses <= {200, 400, 404}
    assert object_counts(fresh) == {}
