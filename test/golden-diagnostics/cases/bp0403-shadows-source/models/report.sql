SELECT count(*) AS n FROM transactions
