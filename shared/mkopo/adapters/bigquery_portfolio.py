"""The dashboard's figures from the analytics views on BigQuery (``PortfolioReader``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import requests
from google.api_core import exceptions as api_exceptions
from google.cloud import bigquery

from mkopo.service.portfolio import PAR_DAYS, Book, CashTimes, DayCounts, Disbursed, WarehouseUnavailable

# Each query reads only the saved views (and the events table for the export time); {ds} is the dataset.
DAY_COUNTS = """
WITH submitted AS (
  SELECT day, SUM(submitted) AS applications FROM `{ds}.funnel_daily`
  WHERE day BETWEEN @start AND @end GROUP BY day
), decided AS (
  SELECT day, SUM(decided) AS decided, SUM(approved) AS approved FROM `{ds}.approval_daily`
  WHERE day BETWEEN @start AND @end GROUP BY day
)
SELECT day, COALESCE(s.applications, 0) AS applications, COALESCE(d.decided, 0) AS decided,
  COALESCE(d.approved, 0) AS approved
FROM submitted AS s FULL OUTER JOIN decided AS d USING (day)
"""
DISBURSED = """
SELECT DATE(disbursed_at) AS day, currency, COUNT(*) AS loans, SUM(disbursed_minor) AS minor
FROM `{ds}.loans` WHERE DATE(disbursed_at) BETWEEN @start AND @end GROUP BY day, currency
"""
TIME_TO_CASH = """
WITH cash AS (
  SELECT TIMESTAMP_DIFF(disbursed_at, submitted_at, MILLISECOND) / 1000 AS seconds
  FROM `{ds}.applications`
  WHERE disbursed_at IS NOT NULL AND submitted_at IS NOT NULL AND DATE(disbursed_at) BETWEEN @start AND @end
), ranked AS (
  SELECT seconds, PERCENTILE_CONT(seconds, 0.5) OVER () AS p50, PERCENTILE_CONT(seconds, 0.95) OVER () AS p95
  FROM cash
)
SELECT COUNT(*) AS loans, ANY_VALUE(p50) AS p50, ANY_VALUE(p95) AS p95 FROM ranked
"""
BOOKS = """
WITH totals AS (
  SELECT currency, COUNT(*) AS loans, COUNTIF(repaid_at IS NOT NULL) AS loans_repaid,
    SUM(disbursed_minor) AS disbursed_minor, SUM(collected_minor) AS collected_minor
  FROM `{ds}.loans` GROUP BY currency
)
SELECT t.*, COALESCE(p.loans_outstanding, 0) AS loans_outstanding,
  COALESCE(p.outstanding_minor, 0) AS outstanding_minor, COALESCE(p.past_due_minor, 0) AS at_risk_1,
  COALESCE(p.at_risk_30_minor, 0) AS at_risk_30, COALESCE(p.at_risk_60_minor, 0) AS at_risk_60,
  COALESCE(p.at_risk_90_minor, 0) AS at_risk_90
FROM totals AS t LEFT JOIN `{ds}.portfolio_at_risk` AS p USING (currency)
"""
# occurred_at prunes the partitions scanned; the newest export is of a recent event anyway.
EXPORTED_AT = "SELECT MAX(exported_at) AS exported_at FROM `{table}` WHERE occurred_at >= @since"

UNAVAILABLE = (api_exceptions.GoogleAPIError, requests.exceptions.RequestException, OSError, TimeoutError)


class BigQueryPortfolioReader:
    """Parameterised queries over the views of one dataset, each bounded by ``timeout_s``."""

    def __init__(self, client: bigquery.Client, dataset: str, events_table: str, timeout_s: float) -> None:
        self._client, self._dataset, self._events, self._timeout = client, dataset, events_table, timeout_s

    def _rows(self, sql: str, **params: date) -> list[Any]:
        config = bigquery.QueryJobConfig(
            query_parameters=[bigquery.ScalarQueryParameter(k, "DATE", v) for k, v in params.items()]
        )
        query = sql.format(ds=self._dataset, table=self._events)
        retry = bigquery.DEFAULT_RETRY.with_deadline(self._timeout)  # never the default 10 minutes
        try:
            job = self._client.query(
                query, job_config=config, timeout=self._timeout, retry=retry, job_retry=None
            )
            return list(job.result(timeout=self._timeout, retry=retry, job_retry=None))
        except UNAVAILABLE as exc:
            raise WarehouseUnavailable(f"the warehouse did not answer: {type(exc).__name__}") from exc

    def exported_at(self, since: date) -> datetime | None:
        [row] = self._rows(EXPORTED_AT.replace("@since", "TIMESTAMP(@since)"), since=since)
        return row["exported_at"]

    def day_counts(self, start: date, end: date) -> list[DayCounts]:
        return [
            DayCounts(r["day"], r["applications"], r["decided"], r["approved"])
            for r in self._rows(DAY_COUNTS, start=start, end=end)
        ]

    def disbursed(self, start: date, end: date) -> list[Disbursed]:
        return [
            Disbursed(r["day"], r["currency"], r["loans"], r["minor"])
            for r in self._rows(DISBURSED, start=start, end=end)
        ]

    def time_to_cash(self, start: date, end: date) -> CashTimes:
        [row] = self._rows(TIME_TO_CASH, start=start, end=end)
        if not row["loans"]:
            return CashTimes()
        return CashTimes(row["loans"], float(row["p50"]), float(row["p95"]))

    def books(self) -> list[Book]:
        return [
            Book(
                currency=r["currency"],
                loans=r["loans"],
                loans_repaid=r["loans_repaid"],
                disbursed_minor=r["disbursed_minor"] or 0,
                collected_minor=r["collected_minor"] or 0,
                loans_outstanding=r["loans_outstanding"],
                outstanding_minor=r["outstanding_minor"],
                at_risk_minor={d: r[f"at_risk_{d}"] for d in PAR_DAYS},
            )
            for r in self._rows(BOOKS)
        ]
