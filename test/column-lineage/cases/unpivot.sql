-- inputs: sales(country VARCHAR, year BIGINT, q1 DOUBLE, q2 DOUBLE)
UNPIVOT sales ON q1, q2 INTO NAME quarter VALUE amount
