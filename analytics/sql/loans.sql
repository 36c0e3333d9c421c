-- loans: one row per disbursed loan (loan id = application id) and where it stands now.
-- collected_minor: money allocated to the loan (overpayments excluded).
-- outstanding_minor: 0 once repaid; else the balance on the loan's latest repayment_received or
--   installment_overdue event; else what was disbursed (total_repayable_minor if the disbursement event
--   carries it, else the principal: interest and fees are not on the disbursement event yet).
-- due_date: UTC disbursement date + term_days (single repayment at term end).
-- days_past_due: the largest days_past_due of its installment_overdue events while it is not repaid.
WITH money AS (
  SELECT
    application_id,
    COUNTIF(event_type = 'repayment_received') AS repayments,
    SUM(IF(
      event_type = 'repayment_received',
      COALESCE(SAFE_CAST(JSON_VALUE(attributes, '$.allocated_minor') AS INT64), amount_minor),
      0
    )) AS collected_minor,
    MAX(IF(event_type = 'repayment_received', occurred_at, NULL)) AS last_repayment_at,
    MAX(IF(
      event_type = 'installment_overdue',
      SAFE_CAST(JSON_VALUE(attributes, '$.days_past_due') AS INT64),
      NULL
    )) AS max_days_past_due,
    MAX(IF(
      event_type = 'loan_disbursed',
      SAFE_CAST(JSON_VALUE(attributes, '$.total_repayable_minor') AS INT64),
      NULL
    )) AS total_repayable_minor
  FROM `${project}.${dataset}.events_dedup`
  GROUP BY application_id
),
balances AS (
  SELECT application_id, outstanding_minor
  FROM (
    SELECT
      application_id,
      SAFE_CAST(JSON_VALUE(attributes, '$.outstanding_minor') AS INT64) AS outstanding_minor,
      ROW_NUMBER() OVER (PARTITION BY application_id ORDER BY occurred_at DESC, event_type, event_id) AS latest
    FROM `${project}.${dataset}.events_dedup`
    WHERE event_type IN ('repayment_received', 'installment_overdue')
  )
  WHERE latest = 1
)
SELECT
  a.application_id AS loan_id,
  a.borrower_id,
  a.lender,
  a.currency,
  a.product,
  a.term_days,
  a.payout_provider,
  a.disbursed_at,
  a.disbursed_minor,
  DATE_ADD(DATE(a.disbursed_at), INTERVAL COALESCE(a.term_days, 0) DAY) AS due_date,
  a.repaid_at,
  COALESCE(m.repayments, 0) AS repayments,
  COALESCE(m.collected_minor, 0) AS collected_minor,
  m.last_repayment_at,
  CASE
    WHEN a.repaid_at IS NOT NULL THEN 0
    ELSE GREATEST(COALESCE(b.outstanding_minor, m.total_repayable_minor, a.disbursed_minor), 0)
  END AS outstanding_minor,
  IF(a.repaid_at IS NULL, COALESCE(m.max_days_past_due, 0), 0) AS days_past_due,
  COALESCE(m.max_days_past_due, 0) AS max_days_past_due_ever,
  CASE
    WHEN a.repaid_at IS NOT NULL THEN 'REPAID'
    WHEN COALESCE(m.max_days_past_due, 0) >= 1 THEN 'OVERDUE'
    ELSE 'CURRENT'
  END AS status
FROM `${project}.${dataset}.applications` AS a
LEFT JOIN money AS m USING (application_id)
LEFT JOIN balances AS b USING (application_id)
WHERE a.disbursed_at IS NOT NULL
