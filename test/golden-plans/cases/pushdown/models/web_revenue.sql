-- bp: materialize = true
-- bp: description = Web revenue per customer since a date
WITH recent AS (
  SELECT o.customer_id, o.amount
  FROM orders o
  WHERE o.channel = 'web' AND o.day >= '{{var "since"}}'
)
SELECT c.name, c.country, SUM(r.amount) AS revenue
FROM recent r JOIN customers c USING (customer_id)
WHERE c.country <> 'US'
GROUP BY ALL
