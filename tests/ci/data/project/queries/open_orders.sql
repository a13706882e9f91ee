-- Open orders with their customer, for the 100% daily report.
SELECT o.*, c.email
FROM orders o
JOIN customers c ON c.id = o.customer_id
WHERE o.status = 'open';

SELECT * FROM orders WHERE total > 100;
