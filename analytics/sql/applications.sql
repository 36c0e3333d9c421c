-- applications: one row per application (= loan id) with the time of every step it reached.
-- lender: the checkout's lender (the provider column of application events); currency and amounts in
-- minor units. decision: APPROVED if the application was ever approved, else REJECTED if rejected.
SELECT
  application_id,
  ANY_VALUE(borrower_id) AS borrower_id,
  COALESCE(
    MAX(IF(event_type = 'checkout_submitted', provider, NULL)),
    MAX(IF(event_type IN ('loan_approved', 'loan_rejected'), provider, NULL))
  ) AS lender,
  COALESCE(
    MAX(IF(event_type = 'checkout_submitted', currency, NULL)),
    MAX(IF(event_type IN ('loan_approved', 'loan_disbursed'), currency, NULL))
  ) AS currency,
  MAX(IF(event_type = 'checkout_submitted', JSON_VALUE(attributes, '$.product'), NULL)) AS product,
  MAX(IF(event_type = 'checkout_submitted', amount_minor, NULL)) AS requested_minor,
  MAX(IF(event_type = 'checkout_submitted', SAFE_CAST(JSON_VALUE(attributes, '$.term_days') AS INT64), NULL))
    AS term_days,
  MIN(occurred_at) AS first_seen_at,
  MIN(IF(event_type = 'checkout_submitted', occurred_at, NULL)) AS submitted_at,
  MIN(IF(event_type = 'application_scored', occurred_at, NULL)) AS scored_at,
  COALESCE(
    MAX(IF(event_type = 'application_scored', score, NULL)),
    MAX(IF(event_type IN ('loan_approved', 'loan_rejected'), score, NULL))
  ) AS score,
  MIN(IF(event_type = 'loan_approved', occurred_at, NULL)) AS approved_at,
  MIN(IF(event_type = 'loan_rejected', occurred_at, NULL)) AS rejected_at,
  MIN(IF(event_type IN ('loan_approved', 'loan_rejected'), occurred_at, NULL)) AS decided_at,
  CASE
    WHEN COUNTIF(event_type = 'loan_approved') > 0 THEN 'APPROVED'
    WHEN COUNTIF(event_type = 'loan_rejected') > 0 THEN 'REJECTED'
  END AS decision,
  MAX(IF(event_type = 'loan_approved', amount_minor, NULL)) AS approved_minor,
  MIN(IF(event_type = 'loan_disbursed', occurred_at, NULL)) AS disbursed_at,
  MAX(IF(event_type = 'loan_disbursed', amount_minor, NULL)) AS disbursed_minor,
  MAX(IF(event_type = 'loan_disbursed', provider, NULL)) AS payout_provider,
  MIN(IF(event_type = 'disbursement_failed', occurred_at, NULL)) AS disbursement_failed_at,
  MIN(IF(event_type = 'loan_repaid', occurred_at, NULL)) AS repaid_at
FROM `${project}.${dataset}.events_dedup`
GROUP BY application_id
