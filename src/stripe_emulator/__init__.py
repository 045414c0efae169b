"""A local, stateful emulator of the part of Stripe's API that the bookshop uses."""

from typing import Protocol

from .hosting.defaults import DEFAULT_PORT, DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from .hosting.process import EmulatorProcess
from .hosting.server import EmulatorServer


class RunningEmulator(Protocol):
    """A started emulator, in this process or another: where it listens, its keys, `stop()`."""

    @property
    def url(self) -> str: ...

    @property
    def secret_key(self) -> str: ...

    @property
    def publishable_key(self) -> str: ...

    def stop(self) -> object: ...


__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_PUBLISHABLE_KEY",
    "DEFAULT_SECRET_KEY",
    "EmulatorProcess",
    "EmulatorServer",
    "RunningEmulator",
]
