-- inputs: t(id BIGINT, n BIGINT, tags VARCHAR[])
SELECT *
FROM t, unnest(t.tags) WITH ORDINALITY AS u(tag, pos), range(t.n) r, generate_series(1, 3) g(i)
