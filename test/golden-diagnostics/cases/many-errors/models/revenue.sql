-- bp: materialize = yes
SELECT country, SUM(usd) AS revenue
FROM trasactions
GROUP BY country
