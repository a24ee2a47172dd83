SELECT id FROM lake.transactions
