SELECT id FROM scord
