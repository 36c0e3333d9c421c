-- portfolio_at_risk: by currency, the outstanding balance of loans not yet repaid and the share of it
-- held by loans at least N days past due: par30 = outstanding of loans >= 30 days past due / outstanding.
SELECT
  currency,
  COUNTIF(outstanding_minor > 0) AS loans_outstanding,
  SUM(outstanding_minor) AS outstanding_minor,
  COUNTIF(outstanding_minor > 0 AND days_past_due >= 1) AS loans_past_due,
  COUNTIF(outstanding_minor > 0 AND days_past_due >= 30) AS loans_at_risk_30,
  SUM(IF(days_past_due >= 1, outstanding_minor, 0)) AS past_due_minor,
  SUM(IF(days_past_due >= 30, outstanding_minor, 0)) AS at_risk_30_minor,
  SUM(IF(days_past_due >= 60, outstanding_minor, 0)) AS at_risk_60_minor,
  SUM(IF(days_past_due >= 90, outstanding_minor, 0)) AS at_risk_90_minor,
  SAFE_DIVIDE(SUM(IF(days_past_due >= 1, outstanding_minor, 0)), SUM(outstanding_minor)) AS par1,
  SAFE_DIVIDE(SUM(IF(days_past_due >= 30, outstanding_minor, 0)), SUM(outstanding_minor)) AS par30,
  SAFE_DIVIDE(SUM(IF(days_past_due >= 60, outstanding_minor, 0)), SUM(outstanding_minor)) AS par60,
  SAFE_DIVIDE(SUM(IF(days_past_due >= 90, outstanding_minor, 0)), SUM(outstanding_minor)) AS par90
FROM `${project}.${dataset}.loans`
WHERE repaid_at IS NULL
GROUP BY currency
