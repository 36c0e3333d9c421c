"""Lender analytics on the BigQuery events table: saved views, a seeded month of activity and a report."""
