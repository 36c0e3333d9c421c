"""Streaming domain events into the BigQuery events table, never twice for one event id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from google.cloud import bigquery

from mkopo import metering
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

    def existing_ids(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Event ids of rows already in the table (the occurred_at window prunes partitions)."""
        times = sorted(datetime.fromisoformat(r["occurred_at"]) for r in rows)
        job = self._client.query(
            f"SELECT event_id FROM `{self._table}` "  # noqa: S608 - the table id is ours, values are parameters
            "WHERE occurred_at BETWEEN @start AND @end AND event_id IN UNNEST(@ids)",
            job_config=bigquery.QueryJobConfig(
                query_parameters=[
                    bigquery.ArrayQueryParameter("ids", "STRING", [r["event_id"] for r in rows]),
                    bigquery.ScalarQueryParameter("start", "TIMESTAMP", times[0] - timedelta(days=1)),
                    bigquery.ScalarQueryParameter("end", "TIMESTAMP", times[-1] + timedelta(days=1)),
                ]
            ),
        )
        metering.count(metering.BQ_QUERIES)
        return {row["event_id"] for row in job.result()}

    def export(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert the rows whose event id is not in the table yet (with insertIds for BigQuery de-dup)."""
        present = self.existing_ids(rows)
        fresh = [r for r in rows if r["event_id"] not in present]
        if not fresh:
            return 0
        errors = self._client.insert_rows_json(self._table, fresh, row_ids=[r["event_id"] for r in fresh])
        if errors:
            raise TransientFailure(f"BigQuery rejected rows: {errors}")
        metering.count(metering.BQ_ROWS, len(fresh))
        metering.count(metering.BQ_BYTES, sum(metering.bigquery_row_bytes(r) for r in fresh))
        return len(fresh)
