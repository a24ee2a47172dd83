-- inputs: t(s STRUCT(a BIGINT, b VARCHAR), r STRUCT(c BIGINT, d VARCHAR))
SELECT unnest(s), unnest(r) FROM t
