-- inputs: prices(id BIGINT, usd_net DOUBLE, eur_net DOUBLE, qty BIGINT)
WITH scaled AS (SELECT id, COLUMNS('_net') * qty FROM prices)
SELECT max(COLUMNS(* EXCLUDE (id))), count(*) AS n FROM scaled
