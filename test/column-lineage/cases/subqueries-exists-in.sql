-- inputs: a(k BIGINT, x BIGINT); b(k BIGINT, v VARCHAR)
SELECT
  k IN (SELECT k FROM b) AS known,
  x > ANY (SELECT k FROM b) AS above_some,
  EXISTS (SELECT 1 FROM b WHERE b.k = a.k) AS has_b,
  ARRAY(SELECT v FROM b WHERE b.k = a.k) AS vs,
  (SELECT max(v) FROM b WHERE b.k = a.k AND a.x > 0) AS top_v
FROM a
