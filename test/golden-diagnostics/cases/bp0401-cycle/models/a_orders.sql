SELECT o.id, o.usd
FROM transactions o
JOIN c_totals t ON t.id = o.id
