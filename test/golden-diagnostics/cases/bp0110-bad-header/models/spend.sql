-- bp: column = no name
-- bp: column usd =
-- bp: column "unit price" = fine: a quoted name
-- bp: column "UNIT PRICE" = set twice (names are case-insensitive)
SELECT usd, usd / 2 AS "unit price" FROM transactions
