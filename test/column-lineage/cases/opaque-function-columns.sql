-- inputs: orders(id BIGINT, amount DOUBLE)
SELECT k.keyword_category, o.id, keyword_name, (SELECT max(keyword_name) FROM duckdb_keywords()) AS kw
FROM orders o, duckdb_keywords() k
