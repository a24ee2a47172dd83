-- inputs: sales(region VARCHAR, product VARCHAR, amount DOUBLE, qty BIGINT)
SELECT region, upper(product) AS product, sum(amount) AS total, max(qty)
FROM sales
GROUP BY ALL
ORDER BY ALL
