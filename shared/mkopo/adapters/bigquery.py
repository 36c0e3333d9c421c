"""Streaming domain events into the BigQuery events table, never twice for one event id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.cloud import bigquery

from mkopo.service.errors import TransientFailure


def make_client(project_id: str, endpoint: str | None) -> bigquery.Client:
    """A client for BigQuery, or for the local emulator when an endpoint is given."""
    if endpoint:
        from google.auth.credentials import AnonymousCredentials

        return bigquery.Client(
            project=project_id, credentials=AnonymousCredentials(), client_options={"api_endpoint": endpoint}
        )
    return bigquery.Client(project=project_id)


class BigQueryEventSink:
    def __init__(self, client: bigquery.Client, table_id: str) -> None:
        self._client, self._table = client, table_id

    def existing_ids(self, event_ids: Sequence[str]) -> set[str]:
        job = self._client.query(
            f"SELECT event_id FROM `{self._table}` WHERE event_id IN UNNEST(@ids)",  # noqa: S608 - table id is ours
            job_config=bigquery.QueryJobConfig(
                query_parameters=[bigquery.ArrayQueryParameter("ids", "STRING", list(event_ids))]
            ),
        )
        return {row["event_id"] for row in job.result()}

    def export(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert the rows whose event id is not in the table yet (with insertIds for BigQuery de-dup)."""
        present = self.existing_ids([r["event_id"] for r in rows])
        fresh = [r for r in rows if r["event_id"] not in present]
        if not fresh:
            return 0
        errors = self._client.insert_rows_json(self._table, fresh, row_ids=[r["event_id"] for r in fresh])
        if errors:
            raise TransientFailure(f"BigQuery rejected rows: {errors}")
        return len(fresh)
