-- files starting with _ are not models
SELECT 1
