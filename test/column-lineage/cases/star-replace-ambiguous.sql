-- inputs: o(id BIGINT, cid BIGINT); c(id BIGINT, name VARCHAR)
SELECT * REPLACE (o.id + 100 AS id) FROM o JOIN c ON o.cid = c.id
