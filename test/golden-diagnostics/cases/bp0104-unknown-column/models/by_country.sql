SELECT
  contry,
  SUM(usd) AS revenue
FROM transactions
GROUP BY contry
