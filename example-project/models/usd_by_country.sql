-- bp: materialize = true
-- bp: description = Revenue in USD by European country, January 2023
-- bp: column usd = Revenue of the country's January transactions, in US dollars
SELECT country, SUM(usd) AS usd, COUNT(*) AS transactions
FROM euro_selection
GROUP BY ALL
ORDER BY usd DESC
