//! The SQLite store: one file in the data folder (WAL), its schema built by
//! numbered migrations, and the three roles' records read and written
//! through the core's record traits inside one transaction per step.

pub mod audit;
mod issuer;
pub mod outbox;
pub mod schema;
mod status;
mod verifier;

use std::path::Path;

use jpki_reference::{Code, Error, Result};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

pub use issuer::IssuerTables;
pub use status::StatusTables;
pub use verifier::VerifierTables;

/// A store failure: the server's own fault (HTTP-007), never the input's.
pub fn fault(error: impl std::fmt::Display) -> Error {
    Error::with_detail(Code::ServerFault, format!("store: {error}"))
}

/// A record as stored: deterministic CBOR of its serde form.
pub fn encode<T: serde::Serialize>(record: &T) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    ciborium::into_writer(record, &mut out).map_err(fault)?;
    Ok(out)
}

/// A stored record read back.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    ciborium::from_reader(bytes).map_err(fault)
}

/// The SQLite database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path).map_err(fault)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(fault)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(fault)?;
        Store::ready(conn)
    }

    /// A database in memory (tests, and checks that start a server of their own).
    pub fn in_memory() -> Result<Store> {
        Store::ready(Connection::open_in_memory().map_err(fault)?)
    }

    /// Opens `path` and applies only the first `version` migrations: a
    /// database as an older build left it (the migration test).
    pub fn open_at_version(path: &Path, version: usize) -> Result<Store> {
        let mut store = Store { conn: Connection::open(path).map_err(fault)? };
        store.migrate_to(version)?;
        Ok(store)
    }

    fn ready(conn: Connection) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(fault)?;
        let mut store = Store { conn };
        store.migrate_to(schema::current_version())?;
        Ok(store)
    }

    /// The schema version the database is at.
    pub fn version(&self) -> Result<usize> {
        let version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(fault)?;
        usize::try_from(version).map_err(fault)
    }

    fn migrate_to(&mut self, target: usize) -> Result<()> {
        let from = self.version()?;
        if from > schema::current_version() {
            return Err(fault(format!(
                "the database is at schema version {from}, newer than this build's {}",
                schema::current_version()
            )));
        }
        for (index, migration) in schema::MIGRATIONS.iter().enumerate().take(target).skip(from) {
            let tx = self.conn.transaction().map_err(fault)?;
            tx.execute_batch(migration).map_err(fault)?;
            tx.pragma_update(None, "user_version", (index + 1) as i64).map_err(fault)?;
            tx.commit().map_err(fault)?;
        }
        Ok(())
    }

    /// Runs `step` in one write transaction: committed when it returns
    /// `Ok`, rolled back (nothing written) when it returns `Err` (HTTP-009).
    pub fn write<T>(&mut self, step: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(fault)?;
        let value = step(&tx)?;
        tx.commit().map_err(fault)?;
        Ok(value)
    }
}

/// A setting in the `meta` table.
pub fn meta_get(tx: &Transaction<'_>, key: &str) -> Result<Option<Vec<u8>>> {
    tx.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0)).optional().map_err(fault)
}

/// Sets a setting in the `meta` table.
pub fn meta_set(tx: &Transaction<'_>, key: &str, value: &[u8]) -> Result<()> {
    tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![key, value]).map_err(fault)?;
    Ok(())
}

/// Removes a setting from the `meta` table.
pub fn meta_delete(tx: &Transaction<'_>, key: &str) -> Result<()> {
    tx.execute("DELETE FROM meta WHERE key = ?1", params![key]).map_err(fault)?;
    Ok(())
}

/// An integer setting (0 when unset).
pub fn meta_u64(tx: &Transaction<'_>, key: &str) -> Result<u64> {
    match meta_get(tx, key)? {
        Some(bytes) => Ok(u64::from_be_bytes(bytes.try_into().map_err(|_| fault(format!("meta {key}")))?)),
        None => Ok(0),
    }
}

/// Sets an integer setting.
pub fn meta_set_u64(tx: &Transaction<'_>, key: &str, value: u64) -> Result<()> {
    meta_set(tx, key, &value.to_be_bytes())
}

/// Empties every table but the settings kept across resets.
pub fn clear(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        "DELETE FROM cards; DELETE FROM certs; DELETE FROM sessions; DELETE FROM answers; DELETE FROM wipes;
         DELETE FROM outbox; DELETE FROM status_entries; DELETE FROM usage_log; DELETE FROM notified;
         DELETE FROM verifier_nonces; DELETE FROM verifier_counters; DELETE FROM http_answers;
         DELETE FROM feed_outbox; DELETE FROM refusals; DELETE FROM audit; DELETE FROM meta;",
    )
    .map_err(fault)
}

/// A stored HTTP answer (HTTP-008): the request body's digest, status and body.
pub struct HttpAnswer {
    /// SHA-256 of the request body it answered.
    pub digest: Vec<u8>,
    /// The HTTP status.
    pub status: u16,
    /// The answer body.
    pub body: Vec<u8>,
}

/// The answer stored for (path, key), if kept since `kept_from`.
pub fn http_answer(tx: &Transaction<'_>, path: &str, key: &[u8], kept_from: u64) -> Result<Option<HttpAnswer>> {
    tx.query_row(
        "SELECT digest, status, body FROM http_answers WHERE path = ?1 AND key = ?2 AND stored_at >= ?3",
        params![path, key, kept_from as i64],
        |r| Ok(HttpAnswer { digest: r.get(0)?, status: r.get(1)?, body: r.get(2)? }),
    )
    .optional()
    .map_err(fault)
}

/// Stores an accepted request's answer, forgetting those older than `kept_from`.
pub fn remember_http_answer(
    tx: &Transaction<'_>,
    path: &str,
    key: &[u8],
    answer: &HttpAnswer,
    now: u64,
    kept_from: u64,
) -> Result<()> {
    tx.execute("DELETE FROM http_answers WHERE stored_at < ?1", params![kept_from as i64]).map_err(fault)?;
    tx.execute(
        "INSERT OR REPLACE INTO http_answers (path, key, digest, status, body, stored_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![path, key, answer.digest, answer.status, answer.body, now as i64],
    )
    .map_err(fault)?;
    Ok(())
}

/// Appends StatusFeed messages to the feed outbox (HTTP-011).
pub fn queue_feed(tx: &Transaction<'_>, feed: &[Vec<u8>]) -> Result<()> {
    for message in feed {
        tx.execute("INSERT INTO feed_outbox (body) VALUES (?1)", params![message]).map_err(fault)?;
    }
    Ok(())
}

/// The oldest feed messages not yet taken by Status (at most a hundred: a
/// Status long out of reach does not make every step read them all).
pub fn pending_feed(tx: &Transaction<'_>) -> Result<Vec<(i64, Vec<u8>)>> {
    let mut query = tx.prepare("SELECT seq, body FROM feed_outbox ORDER BY seq LIMIT 100").map_err(fault)?;
    let rows = query.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(fault)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(fault)
}

/// Forgets a feed message Status took.
pub fn feed_taken(tx: &Transaction<'_>, seq: i64) -> Result<()> {
    tx.execute("DELETE FROM feed_outbox WHERE seq = ?1", params![seq]).map_err(fault)?;
    Ok(())
}

/// Records a refusal (path, code, requirement, time, digest of the body)
/// in the audit log.
pub fn record_refusal(tx: &Transaction<'_>, now: u64, path: &str, error: &Error, digest: &[u8]) -> Result<()> {
    let entry = audit::Entry {
        time: now,
        path,
        outcome: error.code.as_str(),
        requirement: error.code.requirement(),
        body_digest: digest,
    };
    audit::append(tx, &entry)
}

/// How many refusals the audit log holds.
pub fn refusal_count(tx: &Transaction<'_>) -> Result<u64> {
    let count: i64 =
        tx.query_row("SELECT COUNT(*) FROM audit WHERE outcome != 'ok'", [], |r| r.get(0)).map_err(fault)?;
    Ok(count as u64)
}
