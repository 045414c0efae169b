"""A local, stateful emulator of the part of Stripe's API that the bookshop uses."""

DEFAULT_SECRET_KEY = "sk_test_emulator"
DEFAULT_PUBLISHABLE_KEY = "pk_test_emulator"
DEFAULT_PORT = 12111

__all__ = ["DEFAULT_PORT", "DEFAULT_PUBLISHABLE_KEY", "DEFAULT_SECRET_KEY"]
