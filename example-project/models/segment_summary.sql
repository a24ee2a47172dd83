-- bp: materialize = true
-- bp: description = Clients and spend per segment (a SQL model downstream of a TS model)
SELECT
  segment,
  COUNT(*) AS clients,
  ROUND(AVG(total_usd), 2) AS avg_usd,
  SUM(orders) AS orders
FROM client_segments
GROUP BY ALL
ORDER BY avg_usd DESC
