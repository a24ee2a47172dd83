-- inputs: e(uid BIGINT, ts TIMESTAMP, amount DOUBLE)
SELECT uid, sum(amount) OVER w AS running, lag(ts) OVER w AS prev_ts
FROM e
WINDOW w AS (PARTITION BY uid ORDER BY ts)
QUALIFY row_number() OVER (PARTITION BY uid ORDER BY ts DESC) = 1
