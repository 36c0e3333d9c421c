"""The local stack's BigQuery: reach it on a port offset, or start the emulators there."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulators.stack import DEV_PROJECT, Ports, Stack, http_ok

if TYPE_CHECKING:
    from google.cloud import bigquery

log = logging.getLogger("mkopo.analytics")


@dataclass(frozen=True)
class Target:
    """Where the analytics run: a project and dataset on a BigQuery endpoint."""

    stack: Stack
    started: bool

    @property
    def project(self) -> str:
        return self.stack.project

    @property
    def dataset(self) -> str:
        return self.stack.bigquery_dataset

    @property
    def events_table(self) -> str:
        return self.stack.events_table_id

    def client(self) -> bigquery.Client:
        return self.stack.bigquery_client()


def bigquery_up(stack: Stack) -> bool:
    """True when the stack's BigQuery emulator answers."""
    url = f"{stack.bigquery_url}/bigquery/v2/projects/{stack.project}/datasets"
    return http_ok(url, timeout_s=2.0)


def connect(offset: int, *, project: str = DEV_PROJECT, start: bool) -> Target:
    """The stack on ``offset``; with ``start``, start its emulators (left running) if BigQuery is down."""
    stack = Stack(Ports(offset), project=project)
    if bigquery_up(stack):
        stack.setup_bigquery()
        return Target(stack, started=False)
    if not start:
        raise SystemExit(
            f"No BigQuery emulator on port {stack.ports.bigquery_rest} (offset {offset}): "
            "start the stack with `make dev` (or seed it with `make seed`, which starts the emulators)."
        )
    print(f"No local stack on offset {offset}: starting the emulators (Pub/Sub, Firestore, BigQuery) ...")
    took = stack.start_emulators()
    print(
        f"Emulators up in {took:.1f} s and left running for `make report`; stop them with "
        f"`python -m emulators.dev down --offset {offset}` (`make down` for offset 0)."
    )
    return Target(stack, started=True)
