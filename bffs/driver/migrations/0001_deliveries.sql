-- Deliveries: orders ready for pickup (listener `driver-deliveries`, from `order-ready`) and
-- what drivers did with them since (the driver BFF's own commands). A row without a driver is
-- on offer; claiming it sets `driver_id` once and for all.
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    -- `ready`, `picked-up` or `delivered` (the order's status as this BFF knows it).
    status TEXT NOT NULL,
    -- NULL while on offer; then the driver who claimed it.
    driver_id TEXT,
    -- The `Order` as it is now (JSON): from `order-ready`, with the driver's steps applied.
    body TEXT NOT NULL,
    -- When the order became ready (epoch ms): deliveries are offered oldest first.
    ready_at BIGINT NOT NULL,
    -- When the row last changed (epoch ms): the as-of time of the views.
    updated_at BIGINT NOT NULL
);

-- `GET /deliveries`: what is on offer, and each driver's own.
CREATE INDEX deliveries_by_driver ON deliveries (driver_id, ready_at);
