-- inputs: orders(id BIGINT, customer_id BIGINT, amount DOUBLE); customers(customer_id BIGINT, name VARCHAR)
SELECT customer_id, name, orders.customer_id AS left_id FROM orders FULL OUTER JOIN customers USING (customer_id)
