SELECT day, count(*) AS orders FROM orders WHERE channel = 'shop' GROUP BY day
