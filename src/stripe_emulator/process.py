"""The old home of EmulatorProcess, kept for callers outside the package: use `stripe_emulator`."""

from .hosting.process import EmulatorProcess

__all__ = ["EmulatorProcess"]
