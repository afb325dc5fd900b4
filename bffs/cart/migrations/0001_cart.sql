-- The catalog as the restaurant BFF publishes it (listener `cart-catalog`). The cart never
-- asks the restaurant BFF: names, prices and availability come only from these rows, kept at
-- the newest version of each restaurant and dish.
CREATE TABLE catalog_restaurants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The timestamp of the event that wrote the row (epoch ms).
    as_of BIGINT NOT NULL
);

-- A removed dish stays here as unavailable, so a cart still holding it can name it.
CREATE TABLE catalog_items (
    id TEXT PRIMARY KEY,
    restaurant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    -- 1 when it can be ordered, 0 otherwise (BIGINT: booleans are not portable).
    available BIGINT NOT NULL,
    as_of BIGINT NOT NULL
);

-- One row per customer with a cart. Every cart command touches it first: on PostgreSQL the
-- row lock serialises one customer's commands (SQLite serialises all writers anyway), so two
-- concurrent adds can never mix restaurants. `updated_at` is the cart's as-of time.
CREATE TABLE carts (
    user_id TEXT PRIMARY KEY,
    updated_at BIGINT NOT NULL
);

-- What is in each cart: dishes and quantities only; prices are read from the catalog.
CREATE TABLE cart_lines (
    user_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    -- Lines keep the order they were first added in.
    added_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, item_id)
);

-- Orders placed from carts, by their client-generated id: the same id again answers with the
-- stored order instead of ordering twice.
CREATE TABLE placed_orders (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    -- The `Order` as published in `order-placed` (JSON).
    body TEXT NOT NULL,
    placed_at BIGINT NOT NULL
);
