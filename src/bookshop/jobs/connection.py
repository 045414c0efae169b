"""The Redis client of the job queue, apart from RQ: /readyz pings it in web workers, which never
import RQ."""

from __future__ import annotations

import functools

from redis import Redis


@functools.cache
def redis_connection(url: str) -> Redis:
    """One client (and connection pool) per Redis URL in this process."""
    return Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30)
