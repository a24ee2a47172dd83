SELECT id,
       country + 1 AS bumped
FROM transactions
