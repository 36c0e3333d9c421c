-- decision_times: how long borrowers wait, in seconds, per lender and for all lenders (lender = 'ALL').
-- metric: 'decision' (submitted -> approved/rejected), 'cash' (submitted -> money sent),
-- 'payout' (approved -> money sent). Percentiles are exact (PERCENTILE_CONT, linear interpolation).
WITH durations AS (
  SELECT lender, 'decision' AS metric, TIMESTAMP_DIFF(decided_at, submitted_at, MILLISECOND) / 1000 AS seconds
  FROM `${project}.${dataset}.applications`
  WHERE decided_at IS NOT NULL AND submitted_at IS NOT NULL
  UNION ALL
  SELECT lender, 'cash' AS metric, TIMESTAMP_DIFF(disbursed_at, submitted_at, MILLISECOND) / 1000 AS seconds
  FROM `${project}.${dataset}.applications`
  WHERE disbursed_at IS NOT NULL AND submitted_at IS NOT NULL
  UNION ALL
  SELECT lender, 'payout' AS metric, TIMESTAMP_DIFF(disbursed_at, approved_at, MILLISECOND) / 1000 AS seconds
  FROM `${project}.${dataset}.applications`
  WHERE disbursed_at IS NOT NULL AND approved_at IS NOT NULL
),
scoped AS (
  SELECT lender, metric, seconds FROM durations
  UNION ALL
  SELECT 'ALL' AS lender, metric, seconds FROM durations
),
ranked AS (
  SELECT
    lender,
    metric,
    seconds,
    PERCENTILE_CONT(seconds, 0.5) OVER (PARTITION BY lender, metric) AS p50,
    PERCENTILE_CONT(seconds, 0.9) OVER (PARTITION BY lender, metric) AS p90,
    PERCENTILE_CONT(seconds, 0.95) OVER (PARTITION BY lender, metric) AS p95,
    PERCENTILE_CONT(seconds, 0.99) OVER (PARTITION BY lender, metric) AS p99
  FROM scoped
)
SELECT
  metric,
  lender,
  COUNT(*) AS n,
  MIN(seconds) AS min_seconds,
  ANY_VALUE(p50) AS p50_seconds,
  ANY_VALUE(p90) AS p90_seconds,
  ANY_VALUE(p95) AS p95_seconds,
  ANY_VALUE(p99) AS p99_seconds,
  MAX(seconds) AS max_seconds,
  AVG(seconds) AS avg_seconds
FROM ranked
GROUP BY metric, lender
