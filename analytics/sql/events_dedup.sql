-- events_dedup: the events table with one row per event_id (the first export wins).
-- The exporter writes at least once, and a redelivered message can be written twice: every other view
-- reads this one, never the table.
SELECT * EXCEPT (dedup_rank)
FROM (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY exported_at, occurred_at) AS dedup_rank
  FROM `${project}.${dataset}.events`
)
WHERE dedup_rank = 1
