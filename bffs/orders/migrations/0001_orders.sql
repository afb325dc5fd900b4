-- Customers' orders as the order events describe them (listener `orders-tracking`). The row
-- holds the order at its highest status rank seen so far, whatever order events arrive in.
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    status TEXT NOT NULL,
    -- `OrderStatus::rank()` of `status`: the row only moves to a higher rank.
    rank BIGINT NOT NULL,
    placed_at BIGINT NOT NULL,
    -- The `Order` as the event carried it (JSON).
    body TEXT NOT NULL,
    -- The timestamp of the newest event applied to this order, late ones included (epoch ms).
    as_of BIGINT NOT NULL
);

-- `GET /orders`: one customer's orders, newest first.
CREATE INDEX orders_by_customer ON orders (customer_id, placed_at);

-- Each status an order reached, once: the primary key drops duplicated and repeated events.
CREATE TABLE order_timeline (
    order_id TEXT NOT NULL,
    status TEXT NOT NULL,
    rank BIGINT NOT NULL,
    -- When the order reached the status (the order's `statusAt`).
    at BIGINT NOT NULL,
    PRIMARY KEY (order_id, status)
);
