SELECT id,
       usd *
FROM transactions
WHERE
