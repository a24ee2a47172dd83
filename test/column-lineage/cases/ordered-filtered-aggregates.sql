-- inputs: events(k BIGINT, name VARCHAR, ts TIMESTAMP, amount DOUBLE, kind VARCHAR)
SELECT k, list(name ORDER BY ts) AS names, sum(amount) FILTER (WHERE kind = 'paid') AS paid, arg_max(name, ts) AS last_name
FROM events
GROUP BY k
