SELECT id, usd
FROM transactions
WHERE eventTime >= '{{var "start"}}'
