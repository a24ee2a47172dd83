-- 'aa' sorts after 'z' in Danish collation: plans must not depend on the locale
SELECT count(*) AS n FROM customers
