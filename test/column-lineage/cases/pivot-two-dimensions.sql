-- inputs: sales(country VARCHAR, year BIGINT, amount DOUBLE, city VARCHAR)
SELECT * FROM sales PIVOT (max(amount) FOR year IN (2020 AS y20, 2021) city IN ('B', NULL) GROUP BY country)
