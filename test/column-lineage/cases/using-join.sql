-- inputs: orders(id BIGINT, customer_id BIGINT, amount DOUBLE); customers(customer_id BIGINT, name VARCHAR)
SELECT * FROM orders JOIN customers USING (customer_id)
