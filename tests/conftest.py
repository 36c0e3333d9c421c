"""Fixtures for every tier: a clean ``os.environ`` per test, unique ids, and the shared local stack."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest
from emulators.stack import TEST_OFFSET, Ports, Stack

TEST_PROJECT = "mkopo-test"


def unique_id(prefix: str = "t") -> str:
    """A short id that no other test (or earlier run) uses; valid as a Pub/Sub or Firestore name."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def stack_port_offset() -> int:
    """Port offset of the test stack: ``MKOPO_TEST_PORT_OFFSET`` or 10000 (18000, 18085, ...)."""
    return int(os.environ.get("MKOPO_TEST_PORT_OFFSET", TEST_OFFSET))


@contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore the previous values."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@pytest.fixture(autouse=True)
def _restore_environ() -> Iterator[None]:
    """Whatever a test does to ``os.environ`` is undone after it."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def uid() -> str:
    """A unique id for this test."""
    return unique_id()


@pytest.fixture(scope="session")
def local_stack() -> Iterator[Stack]:
    """The one test Stack, not started: integration starts its emulators, e2e all of it."""
    stack = Stack(Ports(stack_port_offset()), project=TEST_PROJECT)
    try:
        yield stack
    finally:
        stack.stop()
