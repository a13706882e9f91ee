SELECT id, status FROM orders WHERE customer_id = 42;
