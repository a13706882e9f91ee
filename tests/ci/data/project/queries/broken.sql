SELECT id, status
FROM orders
WHERE status = 'open' AND;

SELECT id FROM customers;
