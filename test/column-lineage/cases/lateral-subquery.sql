-- inputs: t(k BIGINT, x BIGINT); u(k BIGINT, x BIGINT, v BIGINT)
SELECT t.k, l.doubled, l.own_x, l.v, s.m
FROM t
CROSS JOIN LATERAL (SELECT t.x * 2 AS doubled, x AS own_x, v FROM u WHERE u.k = t.k) l,
  (SELECT max(v) + t.x AS m FROM u WHERE u.k = t.k) s
