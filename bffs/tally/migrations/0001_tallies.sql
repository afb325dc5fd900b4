-- The command side: tallies as the commands change them (client-generated ids).
CREATE TABLE tallies (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    total BIGINT NOT NULL,
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The view built by the listener from `tally-incremented` events. `total`/`version` follow
-- the newest version seen (order-tolerant); `delta_sum` adds every applied increment, so a
-- duplicate application would show as delta_sum != total.
CREATE TABLE tally_view (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    total BIGINT NOT NULL,
    version BIGINT NOT NULL,
    delta_sum BIGINT NOT NULL,
    as_of BIGINT NOT NULL
);
