-- inputs: s(country VARCHAR, q1_units BIGINT, q1_usd DOUBLE, q2_units BIGINT, q2_usd DOUBLE)
WITH u AS (
  SELECT * FROM s UNPIVOT ((units, usd) FOR quarter IN ((q1_units, q1_usd) AS q1, (q2_units, q2_usd) AS q2))
)
SELECT country, quarter, usd / units AS price FROM u
