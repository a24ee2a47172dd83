-- inputs: orders(id BIGINT)
SELECT * FROM orders, duckdb_keywords()
