"""The BigQuery audit table in Terraform is the one shared/mkopo/warehouse_schema.py describes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mkopo import warehouse_schema


def test_audit_table_matches_analytics(platform: dict[str, Any]) -> None:
    table = platform["resources"]["google_bigquery_table.audit"]
    assert table["table_id"] == warehouse_schema.AUDIT_TABLE
    assert table["clustering"] == list(warehouse_schema.AUDIT_CLUSTER_FIELDS)
    [partitioning] = table["time_partitioning"]
    assert partitioning["field"] == warehouse_schema.PARTITION_FIELD and partitioning["type"] == "DAY"
    schema = json.loads((Path(platform["dir"]) / "audit_schema.json").read_text())
    wanted = [
        {"name": n, "type": t, "mode": m, "description": d} for n, t, m, d in warehouse_schema.AUDIT_SCHEMA
    ]
    assert schema == wanted, (
        "regenerate audit_schema.json from mkopo.warehouse_schema.AUDIT_SCHEMA:\n"
        + json.dumps(wanted, indent=2)
    )
