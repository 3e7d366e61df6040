//! The store: one SQLite file in the data folder (WAL), or one PostgreSQL
//! database several server instances share. Each has its schema built by
//! numbered migrations ([`schema`]); the three roles' records are read and
//! written through the core's record traits inside one transaction per
//! step ([`sql::Tx`]), the same code on either database.

pub mod audit;
mod issuer;
pub mod outbox;
pub mod schema;
pub mod sql;
mod status;
mod verifier;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use jpki_reference::{Code, Error, Result};
use rusqlite::{Connection, TransactionBehavior};

pub use issuer::IssuerTables;
pub use sql::{Backend, Tx};
pub use status::StatusTables;
pub use verifier::VerifierTables;

use crate::args;

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

/// How many times a PostgreSQL transaction is tried before its conflict
/// is reported as the server's fault.
const ATTEMPTS: u32 = 30;

/// Transactions PostgreSQL refused as conflicting with another and the
/// store ran again, since the process started (counted; no report reads
/// it yet).
pub static CONFLICT_RETRIES: AtomicU64 = AtomicU64::new(0);

enum Db {
    Sqlite(Connection),
    Postgres(Box<std::cell::RefCell<sql::PgConnection>>),
}

/// The database.
pub struct Store {
    conn: Db,
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path` and brings
    /// its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path).map_err(fault)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(fault)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(fault)?;
        Store::ready(conn)
    }

    /// A SQLite database in memory (tests, and checks that start a server of their own).
    pub fn in_memory() -> Result<Store> {
        Store::ready(Connection::open_in_memory().map_err(fault)?)
    }

    /// Opens `path` and applies only the first `version` migrations: a
    /// database as an older build left it (the migration test).
    pub fn open_at_version(path: &Path, version: usize) -> Result<Store> {
        let mut store = Store { conn: Db::Sqlite(Connection::open(path).map_err(fault)?) };
        store.migrate_to(version)?;
        Ok(store)
    }

    /// Connects to the PostgreSQL database at `url`
    /// (`postgres://user@host:port/database`, plain TCP or a Unix socket
    /// folder as `host`) and brings its schema up to date; several servers
    /// may do so at once.
    pub fn connect(url: &str) -> Result<Store> {
        Store::connect_at_version(url, schema::current_version(Backend::Postgres))
    }

    /// Connects to `url` and applies only the first `version` of
    /// PostgreSQL's migrations.
    pub fn connect_at_version(url: &str, version: usize) -> Result<Store> {
        let client = postgres::Client::connect(url, postgres::NoTls)
            .map_err(|e| fault(format!("cannot reach PostgreSQL at {}: {}", redact(url), sql::describe(&e))))?;
        let mut store = Store { conn: Db::Postgres(Box::new(std::cell::RefCell::new(sql::PgConnection::new(client)))) };
        store.migrate_to(version)?;
        Ok(store)
    }

    fn ready(conn: Connection) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(fault)?;
        let mut store = Store { conn: Db::Sqlite(conn) };
        store.migrate_to(schema::current_version(Backend::Sqlite))?;
        Ok(store)
    }

    /// The database this store is on.
    pub fn backend(&self) -> Backend {
        match self.conn {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// The schema version the database is at.
    pub fn version(&mut self) -> Result<usize> {
        let version: i64 = match &mut self.conn {
            Db::Sqlite(conn) => conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(fault)?,
            Db::Postgres(client) => {
                let client = &mut client.get_mut().client;
                client
                    .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
                    .map_err(sql::pg_fault)?
                    .get(0)
            }
        };
        usize::try_from(version).map_err(fault)
    }

    fn migrate_to(&mut self, target: usize) -> Result<()> {
        let backend = self.backend();
        let migrations = schema::migrations(backend);
        match &mut self.conn {
            Db::Sqlite(conn) => {
                let from: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(fault)?;
                let from = usize::try_from(from).map_err(fault)?;
                if from > migrations.len() {
                    return Err(newer(from, migrations.len()));
                }
                for (index, migration) in migrations.iter().enumerate().take(target).skip(from) {
                    let tx = conn.transaction().map_err(fault)?;
                    tx.execute_batch(migration).map_err(fault)?;
                    tx.pragma_update(None, "user_version", (index + 1) as i64).map_err(fault)?;
                    tx.commit().map_err(fault)?;
                }
            }
            Db::Postgres(client) => {
                // several instances may start at once: each migration runs
                // under the database's advisory lock, after reading the
                // version again under it
                let client = &mut client.get_mut().client;
                loop {
                    let mut tx = client.transaction().map_err(sql::pg_fault)?;
                    tx.batch_execute(schema::POSTGRES_MIGRATION_LOCK).map_err(sql::pg_fault)?;
                    tx.batch_execute(schema::POSTGRES_VERSION_TABLE).map_err(sql::pg_fault)?;
                    let from: i64 = tx
                        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
                        .map_err(sql::pg_fault)?
                        .get(0);
                    let from = usize::try_from(from).map_err(fault)?;
                    if from > migrations.len() {
                        return Err(newer(from, migrations.len()));
                    }
                    if from >= target {
                        return Ok(());
                    }
                    tx.batch_execute(migrations[from]).map_err(sql::pg_fault)?;
                    tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&((from + 1) as i64)])
                        .map_err(sql::pg_fault)?;
                    tx.commit().map_err(sql::pg_fault)?;
                }
            }
        }
        Ok(())
    }

    /// Runs `step` in one write transaction: committed when it returns
    /// `Ok`, rolled back (nothing written) when it returns `Err` (HTTP-009).
    /// On SQLite the transaction takes the write lock at once; on
    /// PostgreSQL it is serialisable, and a step the database refused as
    /// conflicting with another instance's is run again from the start
    /// (so `step` may run more than once; only the committed run counts).
    pub fn write<T>(&mut self, step: impl FnMut(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.run(sql::PgKind::Step, step)
    }

    /// Runs `look` in one transaction that only reads (on PostgreSQL,
    /// serialisable and read only: it waits for no writing step). On
    /// SQLite, as [`Store::write`].
    pub fn read<T>(&mut self, look: impl FnMut(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.run(sql::PgKind::Read, look)
    }

    fn run<T>(&mut self, kind: sql::PgKind, mut step: impl FnMut(&Tx<'_>) -> Result<T>) -> Result<T> {
        match &mut self.conn {
            Db::Sqlite(conn) => {
                let tx = Tx::sqlite(conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(fault)?);
                let value = step(&tx)?;
                tx.commit().map_err(|(_, e)| fault(e))?;
                Ok(value)
            }
            Db::Postgres(client) => {
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    let tx = Tx::postgres(client, kind)?;
                    let conflict = match step(&tx) {
                        Ok(value) => match tx.commit() {
                            Ok(()) => return Ok(value),
                            Err((true, e)) => e,
                            Err((false, e)) => return Err(fault(e)),
                        },
                        Err(error) if tx.conflicted() => {
                            // rolled back now: an aborted transaction keeps its locks
                            // (the queue's among them) until it ends, not through the sleep
                            drop(tx);
                            error.to_string()
                        }
                        Err(error) => return Err(error),
                    };
                    if attempt >= ATTEMPTS {
                        return Err(fault(format!("conflicted {attempt} times with other instances: {conflict}")));
                    }
                    CONFLICT_RETRIES.fetch_add(1, Ordering::Relaxed);
                    // spread the retries of instances that conflicted together,
                    // further apart each time
                    let mut jitter = [0u8; 1];
                    let _ = getrandom::fill(&mut jitter);
                    std::thread::sleep(std::time::Duration::from_micros(
                        ((u64::from(jitter[0]) + 1) * 8) << attempt.min(6),
                    ));
                }
            }
        }
    }
}

impl Store {
    /// Runs `step` in one transaction that relies on the row locks it
    /// takes (`FOR UPDATE SKIP LOCKED`) rather than on serialisability:
    /// PostgreSQL's read committed, never run twice (the delivery worker
    /// sends an e-mail inside it). On SQLite, as [`Store::write`].
    pub fn write_locking<T>(&mut self, mut step: impl FnMut(&Tx<'_>) -> Result<T>) -> Result<T> {
        match &mut self.conn {
            Db::Sqlite(_) => self.write(step),
            Db::Postgres(client) => {
                let tx = Tx::postgres(client, sql::PgKind::RowLocks)?;
                let value = step(&tx)?;
                tx.commit().map_err(|(_, e)| fault(e))?;
                Ok(value)
            }
        }
    }
}

fn newer(from: usize, known: usize) -> Error {
    fault(format!("the database is at schema version {from}, newer than this build's {known}"))
}

/// `url` without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// A setting in the `meta` table.
pub fn meta_get(tx: &Tx<'_>, key: &str) -> Result<Option<Vec<u8>>> {
    tx.query_opt("SELECT value FROM meta WHERE key = ?1", args![key])?.map(|row| row.bytes(0)).transpose()
}

/// Sets a setting in the `meta` table.
pub fn meta_set(tx: &Tx<'_>, key: &str, value: &[u8]) -> Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        args![key, value],
    )?;
    Ok(())
}

/// Removes a setting from the `meta` table.
pub fn meta_delete(tx: &Tx<'_>, key: &str) -> Result<()> {
    tx.execute("DELETE FROM meta WHERE key = ?1", args![key])?;
    Ok(())
}

/// An integer setting (0 when unset).
pub fn meta_u64(tx: &Tx<'_>, key: &str) -> Result<u64> {
    match meta_get(tx, key)? {
        Some(bytes) => Ok(u64::from_be_bytes(bytes.try_into().map_err(|_| fault(format!("meta {key}")))?)),
        None => Ok(0),
    }
}

/// Sets an integer setting.
pub fn meta_set_u64(tx: &Tx<'_>, key: &str, value: u64) -> Result<()> {
    meta_set(tx, key, &value.to_be_bytes())
}

/// Empties every table but the settings kept across resets.
pub fn clear(tx: &Tx<'_>) -> Result<()> {
    tx.batch(
        "DELETE FROM cards; DELETE FROM certs; DELETE FROM sessions; DELETE FROM answers; DELETE FROM wipes;
         DELETE FROM outbox; DELETE FROM status_entries; DELETE FROM usage_log; DELETE FROM notified;
         DELETE FROM verifier_nonces; DELETE FROM verifier_counters; DELETE FROM http_answers;
         DELETE FROM feed_outbox; DELETE FROM refusals; DELETE FROM audit; DELETE FROM meta;",
    )
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
pub fn http_answer(tx: &Tx<'_>, path: &str, key: &[u8], kept_from: u64) -> Result<Option<HttpAnswer>> {
    let row = tx.query_opt(
        "SELECT digest, status, body FROM http_answers WHERE path = ?1 AND key = ?2 AND stored_at >= ?3",
        args![path, key, kept_from],
    )?;
    row.map(|r| {
        Ok(HttpAnswer { digest: r.bytes(0)?, status: u16::try_from(r.int(1)?).map_err(fault)?, body: r.bytes(2)? })
    })
    .transpose()
}

/// Stores an accepted request's answer, forgetting those older than `kept_from`.
pub fn remember_http_answer(
    tx: &Tx<'_>,
    path: &str,
    key: &[u8],
    answer: &HttpAnswer,
    now: u64,
    kept_from: u64,
) -> Result<()> {
    tx.execute("DELETE FROM http_answers WHERE stored_at < ?1", args![kept_from])?;
    tx.execute(
        "INSERT INTO http_answers (path, key, digest, status, body, stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (path, key) DO UPDATE SET digest = excluded.digest, status = excluded.status,
         body = excluded.body, stored_at = excluded.stored_at",
        args![path, key, answer.digest, answer.status, answer.body, now],
    )?;
    Ok(())
}

/// Appends StatusFeed messages to the feed outbox (HTTP-011).
pub fn queue_feed(tx: &Tx<'_>, feed: &[Vec<u8>]) -> Result<()> {
    for message in feed {
        tx.execute("INSERT INTO feed_outbox (body) VALUES (?1)", args![message])?;
    }
    Ok(())
}

/// The oldest feed messages not yet taken by Status (at most a hundred: a
/// Status long out of reach does not make every step read them all).
pub fn pending_feed(tx: &Tx<'_>) -> Result<Vec<(i64, Vec<u8>)>> {
    let rows = tx.query("SELECT seq, body FROM feed_outbox ORDER BY seq LIMIT 100", &[])?;
    rows.iter().map(|r| Ok((r.int(0)?, r.bytes(1)?))).collect()
}

/// The salt of the feed messages' idempotency keys (HTTP-011), made once
/// per store and kept in it.
pub fn feed_salt(tx: &Tx<'_>) -> Result<[u8; 8]> {
    if let Some(salt) = meta_get(tx, "feed-salt")? {
        return salt.try_into().map_err(|_| fault("the feed salt is not 8 bytes"));
    }
    let mut salt = [0u8; 8];
    getrandom::fill(&mut salt).map_err(fault)?;
    meta_set(tx, "feed-salt", &salt)?;
    Ok(salt)
}

/// Forgets a feed message Status took; `false` when another instance
/// already had.
pub fn feed_taken(tx: &Tx<'_>, seq: i64) -> Result<bool> {
    Ok(tx.execute("DELETE FROM feed_outbox WHERE seq = ?1", args![seq])? == 1)
}

/// Records a refusal (path, code, requirement, time, digest of the body)
/// in the audit log.
pub fn record_refusal(tx: &Tx<'_>, now: u64, path: &str, error: &Error, digest: &[u8]) -> Result<()> {
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
pub fn refusal_count(tx: &Tx<'_>) -> Result<u64> {
    count(tx, "SELECT COUNT(*) FROM audit WHERE outcome != 'ok'", &[])
}

/// The one integer a `COUNT(*)` query answers.
pub fn count(tx: &Tx<'_>, sql: &str, args: &[sql::Value]) -> Result<u64> {
    let row = tx.query_opt(sql, args)?.ok_or_else(|| fault("a count answered no row"))?;
    u64::try_from(row.int(0)?).map_err(fault)
}
