-- inputs: web(uid BIGINT, spent DOUBLE); shop(customer BIGINT, total DOUBLE, tax DOUBLE)
SELECT uid AS user_id, spent AS amount, 'web' AS channel FROM web
UNION ALL
SELECT customer, total + tax, 'shop' FROM shop
