-- bp: ref transaction = main
SELECT count(*) AS n FROM transactions
