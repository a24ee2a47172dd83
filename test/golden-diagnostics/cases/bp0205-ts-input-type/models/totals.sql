SELECT id % 3 AS bucket, SUM(amount) AS total FROM orders GROUP BY ALL
