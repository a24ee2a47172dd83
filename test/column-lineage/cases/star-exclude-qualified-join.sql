-- inputs: o(id BIGINT, cid BIGINT, amount DOUBLE); c(id BIGINT, name VARCHAR)
SELECT * EXCLUDE (c.id) REPLACE (amount * 100 AS amount), c.* EXCLUDE (name) FROM o JOIN c ON o.cid = c.id
