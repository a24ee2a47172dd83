-- bp: description = Spend per client on electronics in the period set by the start_date/end_date vars
SELECT
  client_id,
  COUNT(*) AS orders,
  SUM(usd) AS total_usd,
  MAX(eventTime) AS last_order
FROM transactions
WHERE category = 'electronics'
  AND eventTime >= '{{var "start_date"}}'
  AND eventTime < '{{var "end_date"}}'
GROUP BY client_id
