-- inputs: edges(src BIGINT, dst BIGINT, w DOUBLE)
WITH RECURSIVE reach(node, cost) AS (
  SELECT src, 0.0 FROM edges WHERE src = 1
  UNION ALL
  SELECT e.dst, r.cost + e.w FROM reach r JOIN edges e ON e.src = r.node
)
SELECT node, cost FROM reach
