SELECT id, usd
FROM transactions
WHERE eventTime >= '{{var "stat_date"}}'
