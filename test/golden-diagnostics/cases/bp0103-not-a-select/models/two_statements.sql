SELECT id, usd FROM transactions;
SELECT country FROM transactions
