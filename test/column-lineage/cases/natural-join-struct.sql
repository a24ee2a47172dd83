-- inputs: people(id BIGINT, info STRUCT(city VARCHAR, zip VARCHAR)); scores(id BIGINT, score DOUBLE)
SELECT *, info.city AS city, p.info.zip AS zip, list_transform([score], x -> x + 1) AS bumped
FROM people p NATURAL JOIN scores
