//! The server-side session store: a SQLite file under the host's data directory, so sessions
//! survive host restarts. The browser holds only a random session id in an HttpOnly cookie;
//! the store keeps its SHA-256 and the tokens.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};

/// Seconds since the epoch.
pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// A fresh random secret, base64url without padding (256 bits).
pub(crate) fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(id: &str) -> String {
    Sha256::digest(id.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The tokens of a session, as the provider issued them.
#[derive(Clone)]
pub struct Tokens {
    pub access_token: String,
    pub access_expires_at: i64,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").field("access_expires_at", &self.access_expires_at).finish_non_exhaustive()
    }
}

/// Who a session belongs to, from the verified ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The hash of the cookie value: the row's key.
    pub key: String,
    pub user: User,
    pub tokens: Tokens,
    pub expires_at: i64,
}

/// A sign-in under way.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub state: String,
    pub pkce_verifier: String,
    pub nonce: String,
    pub return_to: String,
}

/// How long a started sign-in may take before its state is forgotten.
const PENDING_TTL_SECS: i64 = 15 * 60;

#[derive(Debug, Clone)]
pub struct SessionStore {
    pool: SqlitePool,
}

impl SessionStore {
    pub async fn open(dir: &Path) -> anyhow::Result<Self> {
        tokio::fs::create_dir_all(dir).await.with_context(|| format!("creating {}", dir.display()))?;
        let options = SqliteConnectOptions::new()
            .filename(dir.join("sessions.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await.context("opening the session store")?;
        sqlx::migrate!("./migrations").run(&pool).await.context("migrating the session store")?;
        Ok(Self { pool })
    }

    /// Stores a new session and returns the cookie value that names it.
    pub async fn create(&self, user: &User, tokens: &Tokens, ttl_secs: i64) -> anyhow::Result<(String, Session)> {
        let id = random_token();
        let key = hash(&id);
        let now = now();
        let expires_at = now + ttl_secs;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, name, email, roles, access_token, access_expires_at, refresh_token, id_token, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&key)
        .bind(&user.id)
        .bind(&user.name)
        .bind(&user.email)
        .bind(serde_json::to_string(&user.roles)?)
        .bind(&tokens.access_token)
        .bind(tokens.access_expires_at)
        .bind(&tokens.refresh_token)
        .bind(&tokens.id_token)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        // Forgetting sessions that ended is housekeeping; it may as well happen at sign-in.
        sqlx::query("DELETE FROM sessions WHERE expires_at < ?").bind(now).execute(&self.pool).await?;
        Ok((id, Session { key, user: user.clone(), tokens: tokens.clone(), expires_at }))
    }

    /// The live session a cookie value names.
    pub async fn find(&self, cookie: &str) -> anyhow::Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT id_hash, user_id, name, email, roles, access_token, access_expires_at, refresh_token, id_token, expires_at
             FROM sessions WHERE id_hash = ? AND expires_at > ?",
        )
        .bind(hash(cookie))
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Session {
            key: row.get("id_hash"),
            user: User {
                id: row.get("user_id"),
                name: row.get("name"),
                email: row.get("email"),
                roles: serde_json::from_str(row.get::<&str, _>("roles")).unwrap_or_default(),
            },
            tokens: Tokens {
                access_token: row.get("access_token"),
                access_expires_at: row.get("access_expires_at"),
                refresh_token: row.get("refresh_token"),
                id_token: row.get("id_token"),
            },
            expires_at: row.get("expires_at"),
        }))
    }

    /// Whether a session (by its key) is still live: sockets check it to end with sign-out.
    pub async fn exists(&self, key: &str) -> anyhow::Result<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM sessions WHERE id_hash = ? AND expires_at > ?")
            .bind(key)
            .bind(now())
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    /// Replaces a session's tokens (after a refresh) and its user's claims.
    pub async fn renew(&self, key: &str, user: &User, tokens: &Tokens) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE sessions SET name = ?, email = ?, roles = ?, access_token = ?, access_expires_at = ?, refresh_token = ?, id_token = COALESCE(?, id_token)
             WHERE id_hash = ?",
        )
        .bind(&user.name)
        .bind(&user.email)
        .bind(serde_json::to_string(&user.roles)?)
        .bind(&tokens.access_token)
        .bind(tokens.access_expires_at)
        .bind(&tokens.refresh_token)
        .bind(&tokens.id_token)
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Ends a session (sign-out, or a refresh the provider refused).
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?").bind(key).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn put_pending(&self, login: &PendingLogin) -> anyhow::Result<()> {
        let now = now();
        sqlx::query("DELETE FROM pending_logins WHERE created_at < ?").bind(now - PENDING_TTL_SECS).execute(&self.pool).await?;
        sqlx::query("INSERT INTO pending_logins (state, pkce_verifier, nonce, return_to, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&login.state)
            .bind(&login.pkce_verifier)
            .bind(&login.nonce)
            .bind(&login.return_to)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes a pending sign-in by its state, once: a replayed callback finds nothing.
    pub async fn take_pending(&self, state: &str) -> anyhow::Result<Option<PendingLogin>> {
        let row = sqlx::query("DELETE FROM pending_logins WHERE state = ? AND created_at >= ? RETURNING state, pkce_verifier, nonce, return_to")
            .bind(state)
            .bind(now() - PENDING_TTL_SECS)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| PendingLogin {
            state: row.get("state"),
            pkce_verifier: row.get("pkce_verifier"),
            nonce: row.get("nonce"),
            return_to: row.get("return_to"),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User { id: "alice".into(), name: "Alice".into(), email: None, roles: vec!["customer".into()] }
    }

    fn tokens() -> Tokens {
        Tokens { access_token: "at".into(), access_expires_at: now() + 60, refresh_token: Some("rt".into()), id_token: None }
    }

    #[tokio::test]
    async fn sessions_outlive_the_store_and_end_on_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::open(dir.path()).await.unwrap();
        let (cookie, session) = store.create(&user(), &tokens(), 3600).await.unwrap();
        assert_ne!(cookie, session.key, "the store keeps only a hash of the cookie");
        drop(store);

        let store = SessionStore::open(dir.path()).await.unwrap();
        let found = store.find(&cookie).await.unwrap().expect("the session survives reopening");
        assert_eq!(found.user, user());
        assert_eq!(found.tokens.refresh_token.as_deref(), Some("rt"));
        assert!(store.find("not-a-session").await.unwrap().is_none());
        store.delete(&found.key).await.unwrap();
        assert!(store.find(&cookie).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn expired_sessions_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::open(dir.path()).await.unwrap();
        let (cookie, _) = store.create(&user(), &tokens(), -1).await.unwrap();
        assert!(store.find(&cookie).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_pending_login_is_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::open(dir.path()).await.unwrap();
        let login = PendingLogin { state: "s".into(), pkce_verifier: "v".into(), nonce: "n".into(), return_to: "/orders".into() };
        store.put_pending(&login).await.unwrap();
        assert_eq!(store.take_pending("s").await.unwrap().unwrap().return_to, "/orders");
        assert!(store.take_pending("s").await.unwrap().is_none());
    }
}
