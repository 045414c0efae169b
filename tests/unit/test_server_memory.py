"""The production server's workers cap glibc's per-thread heaps."""

from __future__ import annotations

import platform

import pytest

from bookshop import server


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc setting")
def test_the_heaps_are_capped_where_the_c_library_is_glibc(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert server.limit_malloc_arenas() is True


def test_a_cap_given_in_the_environment_is_left_to_glibc(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert server.limit_malloc_arenas() is False
