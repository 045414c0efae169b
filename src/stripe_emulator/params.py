"""Declarative request parameters: unknown names refused, strings coerced, Stripe's messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidRequestError

Spec = dict[str, "Field"]


@dataclass(frozen=True)
class Field:
    """One parameter: how to coerce it and whether it must be there."""

    coerce: Callable[[Any, str], Any]
    required: bool = False
    children: Spec | None = field(default=None)


def parse(params: dict[str, Any], spec: Spec, prefix: str = "") -> dict[str, Any]:
    """Validate and coerce params against spec; the result holds only known, present names."""
    if not isinstance(params, dict):
        raise InvalidRequestError(f"Invalid object: {prefix or 'body'}", param=prefix or None)
    result: dict[str, Any] = {}
    for name, value in params.items():
        path = f"{prefix}[{name}]" if prefix else name
        if name not in spec:
            raise InvalidRequestError(f"Received unknown parameter: {path}", param=path)
        result[name] = spec[name].coerce(value, path)
    for name, item in spec.items():
        if item.required and name not in result:
            path = f"{prefix}[{name}]" if prefix else name
            raise InvalidRequestError(
                f"Missing required param: {path}.", code="parameter_missing", param=path
            )
    return result


def string(max_length: int = 5000, required: bool = False) -> Field:
    """A string of at most max_length characters."""

    def coerce(value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise InvalidRequestError(f"Invalid string: {path}", param=path)
        if len(value) > max_length:
            raise InvalidRequestError(
                f"Invalid string: {value[:20]}...; must be at most {max_length} characters",
                param=path,
            )
        return value

    return Field(coerce, required)


def integer(
    minimum: int | None = None, maximum: int | None = None, required: bool = False
) -> Field:
    """A whole number, in range when bounds are given."""

    def coerce(value: Any, path: str) -> int:
        text = value if isinstance(value, str) else None
        if text is None or not text.lstrip("-").isdigit() or len(text) > 19:
            raise InvalidRequestError(f"Invalid integer: {str(value)[:40]}", param=path)
        number = int(text)
        if minimum is not None and number < minimum:
            raise InvalidRequestError(
                f"Invalid integer: {number}; must be at least {minimum}", param=path
            )
        if maximum is not None and number > maximum:
            raise InvalidRequestError(
                f"Invalid integer: {number}; must be at most {maximum}", param=path
            )
        return number

    return Field(coerce, required)


def boolean(required: bool = False) -> Field:
    """`true` or `false`, as the SDK sends them."""

    def coerce(value: Any, path: str) -> bool:
        if value == "true":
            return True
        if value == "false":
            return False
        raise InvalidRequestError(f"Invalid boolean: {str(value)[:40]}", param=path)

    return Field(coerce, required)


def enum(*choices: str, required: bool = False) -> Field:
    """One of a fixed set of strings."""

    def coerce(value: Any, path: str) -> str:
        if value not in choices:
            listed = (
                ", ".join(choices[:-1]) + f", or {choices[-1]}" if len(choices) > 1 else choices[0]
            )
            raise InvalidRequestError(f"Invalid {path}: must be one of {listed}", param=path)
        choice: str = value
        return choice

    return Field(coerce, required)


def metadata() -> Field:
    """Stripe's metadata hash: up to 50 string keys; an empty string clears it."""

    def coerce(value: Any, path: str) -> dict[str, str]:
        if value == "":
            return {}
        if isinstance(value, list):  # keys "0", "1", ... were decoded as a list
            value = {str(index): item for index, item in enumerate(value)}
        if not isinstance(value, dict):
            raise InvalidRequestError(f"Invalid hash: {path}", param=path)
        if len(value) > 50:
            raise InvalidRequestError("Metadata can have at most 50 keys.", param=path)
        for key, item in value.items():
            if not isinstance(item, str):
                raise InvalidRequestError(f"Invalid string: {path}[{key}]", param=f"{path}[{key}]")
            if len(key) > 40:
                raise InvalidRequestError(
                    f"Metadata key {key[:40]}... is longer than 40 characters", param=path
                )
            if len(item) > 500:
                raise InvalidRequestError(
                    f"Metadata value for key {key} is longer than 500 characters", param=path
                )
        return dict(value)

    return Field(coerce)


def obj(children: Spec, required: bool = False) -> Field:
    """A nested hash with its own known parameters."""

    def coerce(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise InvalidRequestError(f"Invalid object: {path}", param=path)
        return parse(value, children, path)

    return Field(coerce, required, children)


def array(item: Field, max_items: int = 100, required: bool = False) -> Field:
    """A list given as `name[]=` or `name[0]=`."""

    def coerce(value: Any, path: str) -> list[Any]:
        if value == "":
            return []
        if not isinstance(value, list):
            raise InvalidRequestError(f"Invalid array: {path}", param=path)
        if len(value) > max_items:
            raise InvalidRequestError(f"Invalid array: {path} has more than {max_items} items")
        return [item.coerce(element, f"{path}[{index}]") for index, element in enumerate(value)]

    return Field(coerce, required)


def expand() -> Field:
    """The `expand[]` list of dotted paths."""
    return array(string(), max_items=20)


def timestamp_range() -> Field:
    """`created=123` or `created[gt|gte|lt|lte]=123`."""
    bounds = {name: integer() for name in ("gt", "gte", "lt", "lte")}

    def coerce(value: Any, path: str) -> dict[str, int]:
        if isinstance(value, str):
            exact = integer().coerce(value, path)
            return {"gte": exact, "lte": exact}
        return parse(value, bounds, path)

    return Field(coerce)


LIST_SPEC: Spec = {
    "limit": integer(1, 100),
    "starting_after": string(),
    "ending_before": string(),
    "created": timestamp_range(),
    "expand": expand(),
}
