-- inputs: orders(id BIGINT, status BIGINT, amount DOUBLE)
SELECT o.id, v.label, v.*, lv.doubled
FROM orders o
JOIN (VALUES (1, 'open'), (2, 'closed')) v(code, label) ON o.status = v.code,
  (VALUES (o.amount * 2)) lv(doubled)
