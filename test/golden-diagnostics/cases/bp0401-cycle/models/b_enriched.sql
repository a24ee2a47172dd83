SELECT id, usd * 2 AS usd2
FROM a_orders
