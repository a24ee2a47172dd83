SELECT avg(t.scor) AS avg_score
FROM typed t
