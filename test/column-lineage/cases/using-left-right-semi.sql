-- inputs: a(k BIGINT, x BIGINT); b(k BIGINT, y BIGINT)
WITH l AS (SELECT k AS lk, y FROM a LEFT JOIN b USING (k)),
     r AS (SELECT k AS rk, x FROM a NATURAL RIGHT JOIN b),
     s AS (SELECT * FROM a SEMI JOIN b USING (k))
SELECT lk, y, rk, r.x, s.k AS sk, s.* EXCLUDE (k) FROM l, r, s
