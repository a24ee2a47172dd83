SELECT '{{var "start_date"}}' AS since
