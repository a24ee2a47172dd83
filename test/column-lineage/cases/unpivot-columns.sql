-- inputs: sales(country VARCHAR, q1 DOUBLE, q2 DOUBLE, note VARCHAR)
UNPIVOT sales ON COLUMNS('^q') INTO NAME quarter VALUE amount
