"""A local, stateful emulator of the part of Stripe's API that the bookshop uses."""

from typing import Protocol

DEFAULT_SECRET_KEY = "sk_test_emulator"
DEFAULT_PUBLISHABLE_KEY = "pk_test_emulator"
DEFAULT_PORT = 12111


class RunningEmulator(Protocol):
    """A started emulator, in this process or another: where it listens, its keys, `stop()`."""

    @property
    def url(self) -> str: ...

    @property
    def secret_key(self) -> str: ...

    @property
    def publishable_key(self) -> str: ...

    def stop(self) -> object: ...


__all__ = ["DEFAULT_PORT", "DEFAULT_PUBLISHABLE_KEY", "DEFAULT_SECRET_KEY", "RunningEmulator"]
