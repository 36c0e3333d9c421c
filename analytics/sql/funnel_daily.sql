-- funnel_daily: applications by the UTC day they were submitted and lender, and how many of them reached
-- each step (so far): submitted -> scored -> approved -> disbursed -> repaid.
SELECT
  DATE(COALESCE(submitted_at, first_seen_at)) AS day,
  lender,
  COUNT(*) AS applications,
  COUNTIF(submitted_at IS NOT NULL) AS submitted,
  COUNTIF(scored_at IS NOT NULL) AS scored,
  COUNTIF(decision = 'APPROVED') AS approved,
  COUNTIF(decision = 'REJECTED') AS rejected,
  COUNTIF(disbursed_at IS NOT NULL) AS disbursed,
  COUNTIF(disbursement_failed_at IS NOT NULL AND disbursed_at IS NULL) AS disbursement_failed,
  COUNTIF(repaid_at IS NOT NULL) AS repaid
FROM `${project}.${dataset}.applications`
GROUP BY day, lender
