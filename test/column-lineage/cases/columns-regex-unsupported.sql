-- inputs: t(id BIGINT, usd_a DOUBLE, eur_b DOUBLE)
SELECT COLUMNS('[[:alpha:]]+_a') FROM t
