-- cohort_repayment: loans by the month (UTC) they were disbursed and currency, and how they repaid so far.
-- repayment_rate: loans fully repaid / loans disbursed; on_time: repaid on or before the due date (UTC);
-- collected_per_disbursed: money collected / principal disbursed (above 1 once interest and fees come in).
SELECT
  DATE_TRUNC(DATE(disbursed_at), MONTH) AS cohort_month,
  currency,
  COUNT(*) AS loans_disbursed,
  SUM(disbursed_minor) AS disbursed_minor,
  SUM(collected_minor) AS collected_minor,
  COUNTIF(repaid_at IS NOT NULL) AS loans_repaid,
  COUNTIF(repaid_at IS NOT NULL AND DATE(repaid_at) <= due_date) AS loans_repaid_on_time,
  COUNTIF(repaid_at IS NOT NULL AND DATE(repaid_at) > due_date) AS loans_repaid_late,
  COUNTIF(max_days_past_due_ever >= 30) AS loans_ever_30_dpd,
  SUM(outstanding_minor) AS outstanding_minor,
  SAFE_DIVIDE(COUNTIF(repaid_at IS NOT NULL), COUNT(*)) AS repayment_rate,
  SAFE_DIVIDE(COUNTIF(repaid_at IS NOT NULL AND DATE(repaid_at) <= due_date), COUNT(*)) AS on_time_rate,
  SAFE_DIVIDE(SUM(collected_minor), SUM(disbursed_minor)) AS collected_per_disbursed
FROM `${project}.${dataset}.loans`
GROUP BY cohort_month, currency
