"""The BigQuery events table: one schema for the exporter, local wiring and Terraform."""

from __future__ import annotations

from typing import Final

# (name, BigQuery type, mode, description). No names, phone numbers or tokens: borrower_id is pseudonymous.
EVENTS_SCHEMA: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("event_id", "STRING", "REQUIRED", "Deterministic id of the domain event (de-duplication key)"),
    ("event_type", "STRING", "REQUIRED", "Topic / event name, e.g. loan_approved"),
    ("occurred_at", "TIMESTAMP", "REQUIRED", "When the event happened (partitioning column)"),
    ("application_id", "STRING", "REQUIRED", "Loan application id"),
    ("borrower_id", "STRING", "NULLABLE", "Pseudonymous borrower id"),
    ("provider", "STRING", "NULLABLE", "Lender or payment provider"),
    ("amount_minor", "INTEGER", "NULLABLE", "Amount in the currency's minor units"),
    ("currency", "STRING", "NULLABLE", "ISO 4217 currency code"),
    ("outcome", "STRING", "NULLABLE", "Decision or payout outcome"),
    ("score", "INTEGER", "NULLABLE", "Credit score, where the event carries one"),
    ("attributes", "JSON", "NULLABLE", "The rest of the event payload"),
    ("exported_at", "TIMESTAMP", "REQUIRED", "When the exporter wrote the row"),
)
PARTITION_FIELD: Final = "occurred_at"
CLUSTER_FIELDS: Final = ("event_type", "provider")

# The audit table: one row per audit record (who, role, what, entity, before/after, when, request id).
# Column names event_id / occurred_at keep the exporter's de-duplication and partition pruning.
AUDIT_TABLE: Final = "audit"
AUDIT_SCHEMA: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("event_id", "STRING", "REQUIRED", "Audit record id (de-duplication key)"),
    ("occurred_at", "TIMESTAMP", "REQUIRED", "When the audited change happened (partitioning column)"),
    ("actor_id", "STRING", "REQUIRED", "Pseudonymous user id of the actor, or system"),
    ("actor_role", "STRING", "REQUIRED", "applicant, officer, admin or system"),
    ("action", "STRING", "REQUIRED", "What happened, e.g. review_decided, user_updated"),
    ("entity_type", "STRING", "REQUIRED", "application or user"),
    ("entity_id", "STRING", "REQUIRED", "Id of the changed entity"),
    ("before", "JSON", "NULLABLE", "State before the change (no personal data)"),
    ("after", "JSON", "NULLABLE", "State after the change (no personal data)"),
    ("request_id", "STRING", "NULLABLE", "The API request that caused it"),
    ("exported_at", "TIMESTAMP", "REQUIRED", "When the exporter wrote the row"),
)
AUDIT_CLUSTER_FIELDS: Final = ("entity_type", "action")
