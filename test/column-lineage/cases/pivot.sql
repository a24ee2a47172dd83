-- inputs: sales(country VARCHAR, year BIGINT, amount DOUBLE, city VARCHAR)
SELECT country, "2020" AS y2020, "2021" FROM sales PIVOT (sum(amount) FOR year IN (2020, 2021) GROUP BY country)
