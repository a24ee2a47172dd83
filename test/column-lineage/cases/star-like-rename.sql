-- inputs: t(id BIGINT, usd_a DOUBLE, usd_b DOUBLE, eur_c DOUBLE)
WITH r AS (SELECT * RENAME (usd_a AS dollars) FROM t)
SELECT * ILIKE 'USD%', * EXCLUDE (id) SIMILAR TO '.*_c', dollars FROM r
