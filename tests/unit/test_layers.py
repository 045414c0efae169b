"""The layers hold: only the payments package's Stripe modules import stripe, nothing the shop runs
imports the emulator, and the orders domain takes values from payments, never its calls."""

from __future__ import annotations

import ast
from pathlib import Path

import bookshop
from bookshop.payments import errors, objects

SHOP = Path(bookshop.__file__).parent
STRIPE_MODULES = {"payments/stripe_client.py", "payments/stripe_api.py"}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, absolute or relative (relative ones as written, dots kept)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.add(base)
            names |= {f"{base}.{alias.name}".replace("..", ".", 1) for alias in node.names}
    return names


def shop_files() -> dict[str, set[str]]:
    return {
        str(path.relative_to(SHOP)): imported_modules(path) for path in sorted(SHOP.rglob("*.py"))
    }


def test_only_the_payments_stripe_modules_import_stripe() -> None:
    importers = {
        name
        for name, modules in shop_files().items()
        if any(module == "stripe" or module.startswith("stripe.") for module in modules)
    }
    assert importers == STRIPE_MODULES


def test_nothing_the_shop_runs_imports_the_emulator() -> None:
    assert not [
        name
        for name, modules in shop_files().items()
        if any(module.split(".")[0] == "stripe_emulator" for module in modules)
    ]


def test_the_orders_domain_takes_only_values_and_errors_from_payments() -> None:
    values = set(vars(objects)) | set(vars(errors))
    calls = {
        name: sorted(
            module
            for module in modules
            if "payments" in module
            and not module.endswith((".objects", ".errors", "payments"))
            and module.rsplit(".", 1)[-1] not in values
        )
        for name, modules in shop_files().items()
        if name.startswith("orders/")
    }
    assert {name: found for name, found in calls.items() if found} == {}
