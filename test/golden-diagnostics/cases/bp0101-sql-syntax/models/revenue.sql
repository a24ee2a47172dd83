-- bp: materialize = true
SELECT country,
       SUM(usd AS revenue
FROM transactions
GROUP BY country
