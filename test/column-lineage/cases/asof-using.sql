-- inputs: trades(sym VARCHAR, ts TIMESTAMP, qty BIGINT); quotes(sym VARCHAR, ts TIMESTAMP, price DOUBLE)
SELECT * FROM trades ASOF JOIN quotes USING (sym, ts)
