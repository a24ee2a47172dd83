-- inputs: sales(country VARCHAR, year BIGINT, amount DOUBLE, city VARCHAR)
PIVOT sales ON city IN ('Berlin' AS ber, 'Paris') USING sum(amount) AS total, count(*) AS n
