-- Signed-in browsers. The cookie holds a random id; only its SHA-256 is stored, so a copy of
-- this file does not let anyone impersonate a browser. Tokens never leave the server.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    roles TEXT NOT NULL,              -- JSON array of role names
    access_token TEXT NOT NULL,
    access_expires_at INTEGER NOT NULL, -- epoch seconds
    refresh_token TEXT,
    id_token TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL       -- the session's absolute end, epoch seconds
);

-- Sign-ins under way: what the callback must check (state, nonce) and needs (PKCE verifier).
CREATE TABLE pending_logins (
    state TEXT PRIMARY KEY,
    pkce_verifier TEXT NOT NULL,
    nonce TEXT NOT NULL,
    return_to TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
