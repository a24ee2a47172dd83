-- bp: materialize = true
SELECT count(*) AS n, avg(score) AS avg_score FROM scored
