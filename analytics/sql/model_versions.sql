-- model_versions: approval rate and early bad rate per scorecard version, the champion's and each shadow challenger's.
-- The champion decided (approved = it approved); a challenger only scored in shadow, so its approval counts
-- scores at or above 600 (MKOPO_APPROVE_MIN_SCORE's default) and its early bad rate is over the loans it would
-- have approved among those the champion paid out: the only outcomes observed. Early bad = any overdue installment.
WITH scored AS (
  SELECT
    application_id,
    JSON_VALUE(attributes, '$.model_version') AS champion_version,
    score AS champion_score,
    JSON_VALUE(attributes, '$.challenger_version') AS challenger_version,
    SAFE_CAST(JSON_VALUE(attributes, '$.challenger_score') AS INT64) AS challenger_score
  FROM `${project}.${dataset}.events_dedup`
  WHERE event_type = 'application_scored'
),
outcome AS (
  SELECT
    application_id,
    COUNTIF(event_type = 'loan_approved') > 0 AS approved,
    COUNTIF(event_type = 'loan_disbursed') > 0 AS disbursed,
    COUNTIF(event_type = 'installment_overdue') > 0 AS early_bad
  FROM `${project}.${dataset}.events_dedup`
  GROUP BY application_id
),
per_version AS (
  SELECT s.champion_version AS model_version, 'champion' AS role, s.champion_score AS score, o.approved, o.disbursed, o.early_bad
  FROM scored AS s JOIN outcome AS o ON o.application_id = s.application_id
  UNION ALL
  SELECT s.challenger_version, 'challenger', s.challenger_score, s.challenger_score >= 600, o.disbursed, o.early_bad
  FROM scored AS s JOIN outcome AS o ON o.application_id = s.application_id
  WHERE s.challenger_version IS NOT NULL
)
SELECT
  model_version,
  role,
  COUNT(*) AS applications,
  COUNTIF(approved) / COUNT(*) AS approval_rate,
  AVG(score) AS mean_score,
  COUNTIF(approved AND disbursed) AS loans_observed,
  SAFE_DIVIDE(COUNTIF(approved AND disbursed AND early_bad), COUNTIF(approved AND disbursed)) AS early_bad_rate
FROM per_version
GROUP BY model_version, role
