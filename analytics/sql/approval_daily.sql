-- approval_daily: decisions by the UTC day they were made and lender; approval_rate = approved / decided.
SELECT
  DATE(decided_at) AS day,
  lender,
  COUNT(*) AS decided,
  COUNTIF(decision = 'APPROVED') AS approved,
  COUNTIF(decision = 'REJECTED') AS rejected,
  SAFE_DIVIDE(COUNTIF(decision = 'APPROVED'), COUNT(*)) AS approval_rate,
  AVG(IF(decision = 'APPROVED', score, NULL)) AS avg_score_approved,
  AVG(IF(decision = 'REJECTED', score, NULL)) AS avg_score_rejected
FROM `${project}.${dataset}.applications`
WHERE decided_at IS NOT NULL
GROUP BY day, lender
