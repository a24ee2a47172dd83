-- inputs: orders(id BIGINT, keyword_name VARCHAR)
SELECT o.id, (SELECT max(keyword_name) FROM duckdb_keywords()) AS kw FROM orders o
