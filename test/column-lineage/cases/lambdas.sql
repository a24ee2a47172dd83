-- inputs: t(x BIGINT, l BIGINT[])
SELECT
  list_transform(l, y -> y + x) AS shifted,
  list_transform(l, x -> x * 2) AS doubled,
  [z * 2 FOR z IN l IF z > x] AS comprehension,
  list_reduce(l, (acc, v) -> acc + v) AS total
FROM t
