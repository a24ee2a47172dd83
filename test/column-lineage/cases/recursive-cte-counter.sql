-- inputs: edges(src BIGINT, dst BIGINT)
WITH RECURSIVE walk(node, depth) AS (
  SELECT src, 0 FROM edges
  UNION
  SELECT e.dst, w.depth + 1 FROM walk w JOIN edges e ON e.src = w.node WHERE w.depth < 3
)
SELECT * FROM walk
