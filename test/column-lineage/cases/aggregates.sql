-- inputs: orders(id BIGINT, customer_id BIGINT, amount DOUBLE)
SELECT customer_id, count(*) AS n, count(id) AS n_ids, sum(amount) AS total, max(amount) - min(amount) AS spread
FROM orders
GROUP BY customer_id
HAVING count(*) > 1
