"""The saved views: SQL files in ``analytics/sql`` rendered for one dataset and created in dependency order.

Each file is a BigQuery standard SQL query that uses ``${project}`` and ``${dataset}`` and nothing else
from Terraform's template syntax, so ``templatefile()`` in ``infra/terraform/modules/platform/bigquery.tf``
renders the very same text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from google.cloud import bigquery

SQL_DIR: Final = Path(__file__).resolve().parent / "sql"

# Dependency order: each view reads only the table and the views before it. Terraform creates the first
# three one by one (each depends on the previous) and the report views together.
MODEL_VIEWS: Final = ("events_dedup", "applications", "loans")
REPORT_VIEWS: Final = (
    "funnel_daily",
    "approval_daily",
    "score_bands",
    "decision_times",
    "portfolio_at_risk",
    "cohort_repayment",
    "model_versions",
    "allowance",
)
VIEWS: Final = (*MODEL_VIEWS, *REPORT_VIEWS)

_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def sql_path(name: str) -> Path:
    """The SQL file of one view."""
    if name not in VIEWS:
        raise KeyError(name)
    return SQL_DIR / f"{name}.sql"


def render(name: str, *, project: str, dataset: str) -> str:
    """The view's query for ``project.dataset`` (what Terraform's templatefile() produces)."""
    values = {"project": project, "dataset": dataset}

    def substitute(match: re.Match[str]) -> str:
        return values[match.group(1)]  # an unknown placeholder is a KeyError, as in Terraform

    return _PLACEHOLDER.sub(substitute, sql_path(name).read_text())


def create_views(client: bigquery.Client, *, project: str, dataset: str) -> list[str]:
    """Create (or replace) every view in ``project.dataset``; return their table ids."""
    from google.cloud import bigquery

    from mkopo import warehouse_schema
    from mkopo.adapters.bigquery_audit import audit_table

    # The allowance view reads the audit table (Terraform creates it in the cloud): make sure it exists.
    client.create_table(audit_table(f"{project}.{dataset}.{warehouse_schema.AUDIT_TABLE}"), exists_ok=True)
    created = []
    for name in VIEWS:
        view = bigquery.Table(f"{project}.{dataset}.{name}")
        view.view_query = render(name, project=project, dataset=dataset)
        view.description = description(name)
        client.delete_table(view, not_found_ok=True)
        client.create_table(view)
        created.append(view.table_id)
    return created


def description(name: str) -> str:
    """The first comment line of the view's SQL, without the ``-- name:`` prefix."""
    first = sql_path(name).read_text().splitlines()[0]
    return first.removeprefix("--").strip().removeprefix(f"{name}:").strip()
