-- inputs: a(k BIGINT, x BIGINT); b(k BIGINT, y BIGINT)
SELECT #1, #4, #2 + 1 AS x1, #3 AS right_k
FROM a FULL JOIN b USING (k)
