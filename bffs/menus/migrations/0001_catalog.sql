-- The menus BFF's search view, built only from the restaurant BFF's events by the
-- `menus-catalog` listener (newest `version` per entity wins; kit_versions keeps the versions).
CREATE TABLE restaurants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    cuisine TEXT NOT NULL,
    description TEXT NOT NULL,
    emoji TEXT NOT NULL,
    version BIGINT NOT NULL,
    -- When the listener last changed the row (epoch ms): the answers' `asOf`.
    updated_at BIGINT NOT NULL
);

-- Dishes. A `menu-item-removed` event leaves a tombstone (`removed` = 1) rather than deleting
-- the row: the removal's time still counts for `asOf`, and queries simply skip it. A stale
-- update arriving later is refused by its version, so it cannot bring the dish back.
CREATE TABLE menu_items (
    id TEXT PRIMARY KEY,
    restaurant_id TEXT NOT NULL,
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

CREATE INDEX menu_items_by_restaurant ON menu_items (restaurant_id, removed, position);
