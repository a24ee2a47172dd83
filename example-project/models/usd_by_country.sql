-- bp: materialize = true
-- bp: description = Revenue in USD by European country, January 2023
SELECT country, SUM(usd) AS usd, COUNT(*) AS transactions
FROM euro_selection
GROUP BY ALL
ORDER BY usd DESC
