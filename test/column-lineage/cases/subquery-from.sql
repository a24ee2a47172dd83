-- inputs: orders(id BIGINT, customer_id BIGINT, amount DOUBLE)
SELECT big.cust, big.amt, (SELECT max(amount) FROM orders) AS top
FROM (SELECT customer_id AS cust, amount AS amt FROM orders WHERE amount > 10) AS big
