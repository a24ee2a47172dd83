-- bp: ref transactions = 0000
SELECT count(*) AS n FROM transactions
