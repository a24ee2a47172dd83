-- inputs: t(x BIGINT)
SELECT x, current_date AS today, current_timestamp AS now, rowid AS row_number FROM t
