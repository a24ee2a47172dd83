-- bp: description = Revenue per country
-- bp: column country = ISO country code
-- bp: column revenu = the typo is an error: the description would vanish
SELECT country, SUM(usd) AS revenue FROM transactions GROUP BY country
