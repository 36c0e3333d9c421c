-- score_bands: scored applications in 50-point score bands by lender, with each band's approval rate
-- (approved / decided). band_start is the band's lowest score, e.g. 600 for 600-649.
SELECT
  lender,
  CAST(FLOOR(score / 50) * 50 AS INT64) AS band_start,
  CONCAT(
    CAST(CAST(FLOOR(score / 50) * 50 AS INT64) AS STRING), '-',
    CAST(CAST(FLOOR(score / 50) * 50 + 49 AS INT64) AS STRING)
  ) AS band,
  COUNT(*) AS scored,
  COUNTIF(decision IS NOT NULL) AS decided,
  COUNTIF(decision = 'APPROVED') AS approved,
  COUNTIF(decision = 'REJECTED') AS rejected,
  SAFE_DIVIDE(COUNTIF(decision = 'APPROVED'), COUNTIF(decision IS NOT NULL)) AS approval_rate
FROM `${project}.${dataset}.applications`
WHERE score IS NOT NULL
GROUP BY lender, band_start, band
