-- bp: description = tries to write
INSERT INTO transactions VALUES (1, 2.0, 'IT', TIMESTAMP '2023-01-01')
