-- inputs: t(id BIGINT, a_one BIGINT, b_two BIGINT, a_three BIGINT, a_note VARCHAR, Aux BIGINT)
SELECT COLUMNS(c -> c LIKE 'a\_t%' ESCAPE '\' OR c = 'id'), COLUMNS(['B_TWO', 'aux']), greatest(*COLUMNS('^a_[ot]')) AS top FROM t
