-- inputs: orders(id BIGINT, amount DOUBLE)
WITH orders AS (SELECT id, amount * 2 AS amount FROM orders)
SELECT * FROM orders
