-- inputs: orders(id BIGINT, customer_id BIGINT, amount DOUBLE); customers(id BIGINT, name VARCHAR, vip BOOLEAN)
SELECT
  c.name,
  (SELECT sum(o.amount) FROM orders o WHERE o.customer_id = c.id) AS spent,
  EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id) AS has_orders,
  c.id IN (SELECT customer_id FROM orders) AS in_orders
FROM customers c
