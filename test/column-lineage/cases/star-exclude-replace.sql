-- inputs: orders(id BIGINT, customer_id BIGINT, amount DOUBLE, status VARCHAR); customers(cid BIGINT, name VARCHAR, country VARCHAR)
SELECT o.* EXCLUDE (status) REPLACE (amount * 100 AS amount), c.* EXCLUDE (cid)
FROM orders o JOIN customers c ON o.customer_id = c.cid
