-- inputs: employees(id BIGINT, name VARCHAR, manager_id BIGINT)
SELECT e.name AS employee, m.name AS manager, e.id
FROM employees e LEFT JOIN employees m ON e.manager_id = m.id
