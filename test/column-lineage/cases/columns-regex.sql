-- inputs: prices(id BIGINT, usd_net DOUBLE, eur_net DOUBLE, note VARCHAR, usd_tax DOUBLE)
SELECT id, COLUMNS('usd|eur'), COLUMNS('(?i)^NOTE$') AS remark FROM prices
