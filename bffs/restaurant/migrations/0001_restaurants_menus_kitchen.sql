-- The restaurant BFF is the source of truth for restaurants and their menus: these are
-- command-side tables, changed only by its own commands (and the first-start seed).
CREATE TABLE restaurants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    cuisine TEXT NOT NULL,
    description TEXT NOT NULL,
    emoji TEXT NOT NULL,
    -- The user id (role `restaurant`) allowed to change it and run its kitchen.
    owner TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX restaurants_by_owner ON restaurants (owner);

-- Dishes. Ids are global (other BFFs key their views by item id alone), so a removed dish
-- stays as a tombstone (`removed` = 1): its id stays with its restaurant and its version keeps
-- growing if it comes back, so consumers that saw the removal accept the return.
CREATE TABLE menu_items (
    id TEXT PRIMARY KEY,
    restaurant_id TEXT NOT NULL REFERENCES restaurants (id),
    category TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    -- Booleans are BIGINT 0/1: the one integer type SQLite and PostgreSQL share.
    available BIGINT NOT NULL,
    position BIGINT NOT NULL,
    version BIGINT NOT NULL,
    removed BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX menu_items_by_restaurant ON menu_items (restaurant_id, position);

-- The kitchen: orders of any restaurant as the `restaurant-kitchen` listener learnt them,
-- moved on by this BFF's own accept/reject/ready commands. `order_json` is the whole
-- `Order` as last published; the other columns are what queries filter and sort on.
-- `status_rank` only grows (see `OrderStatus::rank`).
CREATE TABLE kitchen_orders (
    id TEXT PRIMARY KEY,
    restaurant_id TEXT NOT NULL,
    status TEXT NOT NULL,
    status_rank BIGINT NOT NULL,
    placed_at BIGINT NOT NULL,
    order_json TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX kitchen_orders_by_restaurant ON kitchen_orders (restaurant_id, status, placed_at);
