-- bp: materialize = true
-- bp: description = Revenue per customer from orders of at least min_amount USD
SELECT customer, COUNT(*) AS orders, SUM(amount) AS revenue
FROM big_orders
WHERE amount >= {{var "min_amount"}}
GROUP BY ALL
ORDER BY revenue DESC
