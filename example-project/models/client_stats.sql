-- bp: description = Spend per client on electronics in the period set by the start_date/end_date vars
-- bp: column orders = Number of electronics orders in the period
-- bp: column total_usd = Electronics spend in the period, in US dollars
-- bp: column last_order = Time of the client's latest electronics order in the period
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
