-- inputs: t(id BIGINT, info STRUCT(city VARCHAR, zip VARCHAR), n BIGINT)
SELECT unnest(info), id, zip AS zip_again FROM (SELECT info, info.* , id FROM t)
