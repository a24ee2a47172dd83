-- bp: ref base = main
SELECT sum(usd) AS usd FROM base
