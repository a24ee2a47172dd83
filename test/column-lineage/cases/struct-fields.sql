-- inputs: people(id BIGINT, info STRUCT(city VARCHAR, zip VARCHAR), tags VARCHAR[])
SELECT info.city, people.info.zip, info['zip'] AS zip2, struct_extract(info, 'city') AS city2, main.people.id, people AS whole_row, tags[1] AS first_tag
FROM people
