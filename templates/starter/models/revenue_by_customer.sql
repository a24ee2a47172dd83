-- bp: materialize = true
-- bp: description = Revenue per customer from orders of at least min_amount USD
-- bp: column revenue = Sum of the amounts of those orders, in USD
SELECT customer, COUNT(*) AS orders, SUM(amount) AS revenue
FROM big_orders
WHERE amount >= {{var "min_amount"}}
GROUP BY ALL
ORDER BY revenue DESC
