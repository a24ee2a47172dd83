SELECT id, usd FROM transactions
