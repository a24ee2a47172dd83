SELECT id, usd
FROM transactions
{{#if (var "start_date")}}
WHERE eventTime >= '{{var "start_date"}}'
