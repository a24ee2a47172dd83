SELECT eventTime::DATE AS day, count(*) AS n FROM transactions GROUP BY day
