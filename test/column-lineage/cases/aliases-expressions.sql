-- inputs: orders(id BIGINT, amount DOUBLE, fee DOUBLE, ts TIMESTAMP, note VARCHAR)
SELECT
  id AS order_id,
  amount - fee AS net,
  CASE WHEN fee > 0 THEN 'fee' ELSE 'free' END AS fee_kind,
  CAST(ts AS DATE) AS day,
  upper(coalesce(note, '')) AS note,
  42 AS answer,
  net * 2 AS net2
FROM orders
