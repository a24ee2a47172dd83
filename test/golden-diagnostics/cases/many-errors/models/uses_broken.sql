SELECT count(*) AS n FROM broken JOIN ok_daily ON true
