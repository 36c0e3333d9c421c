"""One writer at a time per hot document within a process: requests on one loan queue here, not in Firestore.

Firestore serialises transactions on one document by aborting all but one, and its emulator gives up after
a 2 s lock timeout (1 in 20 concurrent transactions on one document succeeds with 5 attempts). Requests
for one loan that reach the same instance wait for each other here instead; across instances Firestore's
own retries still decide.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from weakref import WeakValueDictionary

_locks: WeakValueDictionary[str, threading.Lock] = WeakValueDictionary()
_guard = threading.Lock()


def one_loan_writer(loan_id: str) -> AbstractContextManager[None]:
    """The lock of one loan's document: its repayment requests and collection results take turns."""
    return one_writer(f"loans/{loan_id}")


@contextmanager
def one_writer(key: str) -> Iterator[None]:
    """Hold the process-wide lock of ``key`` (for example ``loans/<id>``) while the block runs."""
    with _guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = threading.Lock()
    with lock:
        yield
