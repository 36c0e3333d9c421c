"""A Firestore client whose gRPC calls are counted as Firestore bills them (for ``make cost``, on the
emulator only): a document read per document a get or query returns (a query that returns none still costs
one), a write or delete per mutation in a commit.

Counting at the channel sees every read and write whichever adapter made it, transactions included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc
from google.cloud import firestore

from mkopo import metering

_SERVICE = "/google.firestore.v1.Firestore/"


class _CountedStream:
    """A streamed call's responses, counted as they are read; everything else is the call's own."""

    def __init__(self, call: Any, counts: Callable[[Any], int], at_least: int) -> None:
        self._call, self._counts, self._at_least, self._seen = call, counts, at_least, 0

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            item = next(self._call)
        except StopIteration:
            metering.count(metering.FS_READS, max(0, self._at_least - self._seen))
            self._at_least = 0
            raise
        n = self._counts(item)
        self._seen += n
        metering.count(metering.FS_READS, n)
        return item

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)


def _collection(path: str) -> str:
    """``projects/p/databases/d/documents/loans/L1/…`` → ``loans``."""
    return path.partition("/documents/")[2].split("/", 1)[0] or "?"


def _got(response: Any) -> int:
    return 1 if (response.found.name or response.missing) else 0


def _queried(response: Any) -> int:
    return 1 if response.document.name else 0


class MeteringInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        outcome = continuation(details, request)
        # Only a commit that lands is billed: one aborted by contention (and retried) writes nothing.
        if details.method == _SERVICE + "Commit" and outcome.exception() is None:
            deletes = sum(1 for w in request.writes if w.delete)
            metering.count(metering.FS_COMMITS)
            metering.count(metering.FS_DELETES, deletes)
            metering.count(metering.FS_WRITES, len(request.writes) - deletes)
            for w in request.writes:  # by collection, to see where the writes go
                metering.count(f"{metering.FS_WRITES}/{_collection(w.delete or w.update.name)}")
        return outcome

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        call = continuation(details, request)
        method = details.method.removeprefix(_SERVICE)
        if method == "BatchGetDocuments":
            return _CountedStream(call, _got, 0)
        if method == "RunQuery":
            metering.count(metering.FS_QUERIES)
            return _CountedStream(call, _queried, 1)
        if method == "RunAggregationQuery":  # one read per batch of up to 1,000 index entries
            metering.count(metering.FS_QUERIES)
            metering.count(metering.FS_READS)
        return call


class MeteredClient(firestore.Client):
    """firestore.Client on the emulator, with every call through the counting interceptor."""

    def _emulator_channel(self, transport: Any) -> Any:
        return grpc.intercept_channel(super()._emulator_channel(transport), MeteringInterceptor())
