"""Stripe's form encoding: bracket-nested keys into dicts and lists, and back."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from .errors import InvalidRequestError

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_MAX_DEPTH = 6


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Turn `a[b][0][c]=v` pairs into nested dicts; numeric keys and `[]` become lists."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if not match:
            raise InvalidRequestError(f"Invalid parameter name: {raw_key}", param=raw_key)
        parts = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
        if len(parts) > _MAX_DEPTH:
            raise InvalidRequestError(f"Parameter nested too deeply: {raw_key}", param=raw_key)
        _assign(root, parts, value, raw_key)
    # The top level stays a hash whatever its keys: `0=a&1=b` names two unknown parameters.
    return {key: _lists_from_index_dicts(value) for key, value in root.items()}


def _assign(node: dict[str, Any], parts: list[str], value: str, raw_key: str) -> None:
    """Set value at the path, appending for empty brackets."""
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if part == "":
            # `expand[]=a&expand[]=b`: Stripe's array notation; kept as an index dict until the end.
            part = str(len(node))
        if last:
            if part in node and isinstance(node[part], dict):
                raise InvalidRequestError(
                    f"Invalid value for {raw_key}: expected a hash", param=raw_key
                )
            node[part] = value
            return
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise InvalidRequestError(
                f"Invalid value for {parts[0]}: it cannot be both a string and a hash",
                param=raw_key,
            )
        node = child


def _lists_from_index_dicts(value: Any) -> Any:
    """Dicts whose keys are 0..n-1 become lists, recursively."""
    if not isinstance(value, dict):
        return value
    converted = {key: _lists_from_index_dicts(item) for key, item in value.items()}
    if converted and all(key.isdigit() for key in converted):
        indexes = sorted(int(key) for key in converted)
        if indexes == list(range(len(indexes))):
            return [converted[str(index)] for index in indexes]
    return converted


def encode(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """The inverse of decode, as the SDK encodes: used for stable idempotency fingerprints."""
    pairs: list[tuple[str, str]] = []
    for key in sorted(params):
        value = params[key]
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            pairs.extend(encode(value, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                item_name = f"{name}[{index}]"
                if isinstance(item, dict):
                    pairs.extend(encode(item, item_name))
                else:
                    pairs.append((item_name, str(item)))
        else:
            pairs.append((name, "" if value is None else str(value)))
    return pairs


def fingerprint(params: dict[str, Any]) -> str:
    """A canonical string of the parameters, independent of their order on the wire."""
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in encode(params))
