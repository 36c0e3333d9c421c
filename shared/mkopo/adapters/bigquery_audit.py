"""The BigQuery audit table (schema in mkopo.warehouse_schema): created by Terraform in the cloud, on first
use against the local emulator."""

from __future__ import annotations

from typing import Any

from mkopo import warehouse_schema
from mkopo.adapters.bigquery import BigQueryEventSink, make_client


def audit_table(table_id: str) -> Any:
    from google.cloud import bigquery

    schema = [
        bigquery.SchemaField(n, t, mode=m, description=d) for n, t, m, d in warehouse_schema.AUDIT_SCHEMA
    ]
    table = bigquery.Table(table_id, schema=schema)
    table.time_partitioning = bigquery.TimePartitioning(
        type_=bigquery.TimePartitioningType.DAY, field=warehouse_schema.PARTITION_FIELD
    )
    table.clustering_fields = list(warehouse_schema.AUDIT_CLUSTER_FIELDS)
    return table


def audit_sink(project_id: str, endpoint: str | None, dataset: str) -> BigQueryEventSink:
    client = make_client(project_id, endpoint)
    table_id = f"{project_id}.{dataset}.{warehouse_schema.AUDIT_TABLE}"
    if endpoint:  # the local emulator: nobody else creates it
        client.create_dataset(f"{project_id}.{dataset}", exists_ok=True)
        client.create_table(audit_table(table_id), exists_ok=True)
    return BigQueryEventSink(client, table_id)
