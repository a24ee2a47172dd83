-- inputs: orders(id BIGINT)
SELECT * FROM orders, range(3) r
