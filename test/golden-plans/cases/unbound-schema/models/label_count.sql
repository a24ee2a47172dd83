-- bp: materialize = true
SELECT count(*) AS n, max(label) AS last_label FROM labelled JOIN items USING (id) WHERE bucket = 1
