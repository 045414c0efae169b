"""The old home of webhook signing, kept for callers outside the package: use `delivery`."""

from .delivery import sign

__all__ = ["sign"]
