-- bp: materialise = true
-- bp: description = Revenue per country
SELECT country, SUM(usd) AS revenue FROM transactions GROUP BY country
