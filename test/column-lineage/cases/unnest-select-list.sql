-- inputs: t(id BIGINT, tags VARCHAR[], n BIGINT)
SELECT id, tag || '!' AS loud, tag
FROM (SELECT id, unnest(tags) AS tag FROM t)
