-- allowance: the loan-loss allowance of the latest provisioning run per currency, by arrears bucket, and its
-- coverage = allowance / gross receivables. The run (mkopo.service.provisioning) writes one audit record per
-- currency and bucket (action allowance_recomputed); the audit exporter carries them into the audit table.
WITH runs AS (
  SELECT
    JSON_VALUE(after, '$.currency') AS currency,
    JSON_VALUE(after, '$.bucket') AS bucket,
    DATE(JSON_VALUE(after, '$.as_of')) AS as_of,
    occurred_at,
    SAFE_CAST(JSON_VALUE(after, '$.loans') AS INT64) AS loans,
    SAFE_CAST(JSON_VALUE(after, '$.gross_minor') AS INT64) AS gross_minor,
    SAFE_CAST(JSON_VALUE(after, '$.rate') AS NUMERIC) AS rate,
    SAFE_CAST(JSON_VALUE(after, '$.allowance_minor') AS INT64) AS allowance_minor
  FROM `${project}.${dataset}.audit`
  WHERE action = 'allowance_recomputed'
),
latest AS (
  SELECT currency, MAX(occurred_at) AS occurred_at FROM runs GROUP BY currency
)
SELECT
  r.currency,
  r.bucket,
  r.as_of,
  r.loans,
  r.gross_minor,
  r.rate,
  r.allowance_minor,
  SAFE_DIVIDE(r.allowance_minor, r.gross_minor) AS coverage
FROM runs AS r
JOIN latest AS l ON r.currency = l.currency AND r.occurred_at = l.occurred_at
