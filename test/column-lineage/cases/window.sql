-- inputs: events(user_id BIGINT, ts TIMESTAMP, amount DOUBLE, kind VARCHAR)
SELECT
  user_id,
  sum(amount) OVER (PARTITION BY user_id ORDER BY ts) AS running,
  row_number() OVER (PARTITION BY kind ORDER BY ts) AS rn,
  lag(kind, 1) OVER (ORDER BY ts) AS prev_kind
FROM events
