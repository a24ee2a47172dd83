-- bp: materialize = true
-- bp: ref transactions = fridya
SELECT country, sum(usd) AS usd FROM transactions GROUP BY country
