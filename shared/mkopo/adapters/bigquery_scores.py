"""The week's scores per model version from the BigQuery events table (``ScoreWarehouse``).

The champion's score is the ``score`` column of application_scored rows (its version in
``attributes.model_version``), a shadow challenger's in ``attributes.challenger_score``; a version counts
wherever it scored, so a champion promoted mid-week keeps its challenger days. Rows are de-duplicated by
event id (the exporter writes at least once) and ``occurred_at`` prunes the partitions read.
"""

from __future__ import annotations

from datetime import datetime

from google.cloud import bigquery

SCORE_COUNTS = """
WITH scored AS (
  SELECT
    event_id,
    ANY_VALUE(JSON_VALUE(attributes, '$.model_version')) AS champion,
    ANY_VALUE(score) AS champion_score,
    ANY_VALUE(JSON_VALUE(attributes, '$.challenger_version')) AS challenger,
    ANY_VALUE(SAFE_CAST(JSON_VALUE(attributes, '$.challenger_score') AS INT64)) AS challenger_score
  FROM `{table}`
  WHERE event_type = 'application_scored' AND occurred_at >= @since AND occurred_at < @until
  GROUP BY event_id
), per_version AS (
  SELECT champion AS version, champion_score AS score FROM scored
  UNION ALL
  SELECT challenger AS version, challenger_score AS score FROM scored
)
SELECT score, COUNT(*) AS applications
FROM per_version
WHERE version = @version AND score IS NOT NULL
GROUP BY score
"""


class BigQueryScoreWarehouse:
    """One parameterised query over the events table, bounded by ``timeout_s``."""

    def __init__(self, client: bigquery.Client, events_table: str, timeout_s: float) -> None:
        self._client, self._table, self._timeout = client, events_table, timeout_s

    def score_counts(self, model_version: str, since: datetime, until: datetime) -> dict[int, int]:
        config = bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter("version", "STRING", model_version),
                bigquery.ScalarQueryParameter("since", "TIMESTAMP", since),
                bigquery.ScalarQueryParameter("until", "TIMESTAMP", until),
            ]
        )
        job = self._client.query(
            SCORE_COUNTS.format(table=self._table), job_config=config, timeout=self._timeout
        )
        return {int(r["score"]): int(r["applications"]) for r in job.result(timeout=self._timeout)}
