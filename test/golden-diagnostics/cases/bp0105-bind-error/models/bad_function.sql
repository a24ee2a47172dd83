SELECT country,
       summ(usd) AS revenue
FROM transactions
GROUP BY country
