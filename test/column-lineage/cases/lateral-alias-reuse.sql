-- inputs: t(x BIGINT, y BIGINT)
SELECT
  x + 1 AS b,
  b * 2 AS c,
  x + 10 AS y,
  y * 2 AS from_column_y,
  (SELECT b * 3) AS in_subquery
FROM t
