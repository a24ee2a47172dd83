-- inputs: sales(region VARCHAR, product VARCHAR, amount DOUBLE, qty BIGINT)
SELECT product, sum(amount) AS total FROM sales GROUP BY 1 ORDER BY 2 DESC, #1
