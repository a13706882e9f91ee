INSERT INTO orders VALUES (1, 1, 'open', 10.00);

INSERT INTO orders (id, customer_id, status, total)
SELECT * FROM staging_orders;
