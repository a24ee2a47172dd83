-- inputs: orders(id BIGINT, amount DOUBLE)
WITH t(order_id, usd) AS (SELECT id, amount FROM orders)
SELECT s.k, s.v, t.usd FROM t, (SELECT order_id, usd * 2 FROM t) AS s(k, v)
