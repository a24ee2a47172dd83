-- inputs: orders(id BIGINT, customer_id BIGINT, amount DOUBLE, status VARCHAR)
WITH paid AS (SELECT id, customer_id, amount AS usd FROM orders WHERE status = 'paid'),
     doubled AS (SELECT id AS order_id, customer_id, usd * 2 AS usd2 FROM paid),
     per_customer AS (SELECT customer_id, sum(usd2) AS total FROM doubled GROUP BY customer_id)
SELECT customer_id AS cid, total, total / 2 AS half FROM per_customer
