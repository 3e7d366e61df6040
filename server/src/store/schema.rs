//! The store's schema, as the lists of migrations that build it, one list
//! per database. A database records how many of its list it has applied
//! (SQLite: `PRAGMA user_version`; PostgreSQL: the `schema_version`
//! table); opening it applies the rest in order, each in its own
//! transaction. A migration is never edited once released: a change is a
//! new one at the end of both lists. The two lists build the same tables,
//! columns and indexes (a test compares them); PostgreSQL's started at
//! SQLite's fifth, so its first holds all five.

use super::Backend;

/// SQLite's migrations, oldest first; the schema version is the count applied.
pub const MIGRATIONS: &[&str] = &[
    // 1: the three roles' records, the binding's stored answers, settings
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
     CREATE TABLE cards (holder BLOB PRIMARY KEY, body BLOB NOT NULL);
     CREATE TABLE certs (serial BLOB PRIMARY KEY, holder BLOB NOT NULL, body BLOB NOT NULL);
     CREATE INDEX certs_by_holder ON certs (holder);
     CREATE TABLE sessions (nonce BLOB PRIMARY KEY, expiry INTEGER NOT NULL, completed INTEGER NOT NULL);
     CREATE INDEX sessions_by_expiry ON sessions (expiry);
     CREATE TABLE answers (endpoint TEXT NOT NULL, holder BLOB NOT NULL, key BLOB NOT NULL,
                           stored_at INTEGER NOT NULL, body BLOB NOT NULL,
                           PRIMARY KEY (endpoint, holder, key));
     CREATE INDEX answers_by_age ON answers (stored_at);
     CREATE TABLE wipes (id BLOB PRIMARY KEY, device BLOB NOT NULL, body BLOB NOT NULL);
     CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT NOT NULL, body BLOB NOT NULL);
     CREATE TABLE status_entries (serial BLOB PRIMARY KEY, body BLOB NOT NULL, sequence INTEGER NOT NULL);
     CREATE TABLE usage_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB NOT NULL);
     CREATE TABLE notified (rp TEXT NOT NULL, nonce BLOB NOT NULL, serial BLOB NOT NULL,
                            PRIMARY KEY (rp, nonce, serial));
     CREATE TABLE verifier_nonces (rp TEXT NOT NULL, nonce BLOB NOT NULL, expiry INTEGER NOT NULL,
                                   consumed INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (rp, nonce));
     CREATE INDEX verifier_nonces_by_expiry ON verifier_nonces (rp, expiry);
     CREATE TABLE verifier_counters (rp TEXT NOT NULL, serial BLOB NOT NULL, counter INTEGER NOT NULL,
                                     PRIMARY KEY (rp, serial));
     CREATE TABLE http_answers (path TEXT NOT NULL, key BLOB NOT NULL, digest BLOB NOT NULL,
                                status INTEGER NOT NULL, body BLOB NOT NULL, stored_at INTEGER NOT NULL,
                                PRIMARY KEY (path, key));
     CREATE INDEX http_answers_by_age ON http_answers (stored_at);",
    // 2: wipes found by device without a scan; StatusFeed messages kept
    // until Status took them (HTTP-011), written with the step that made
    // them; every refusal recorded, after its step was rolled back
    "CREATE INDEX wipes_by_device ON wipes (device);
     CREATE TABLE feed_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB NOT NULL);
     CREATE TABLE refusals (seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, path TEXT NOT NULL,
                            code TEXT NOT NULL, requirement TEXT NOT NULL, body_digest BLOB NOT NULL);",
    // 3: the hash-chained audit log (store/audit.rs): every accepted step
    // and every refusal; it takes over from `refusals`, whose rows stay as
    // they were (unchained)
    "CREATE TABLE audit (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, path TEXT NOT NULL,
                         outcome TEXT NOT NULL, requirement TEXT NOT NULL, body_digest BLOB NOT NULL,
                         prev BLOB NOT NULL, hash BLOB NOT NULL);",
    // 4: the open-session and open-nonce counts (NON-004) read only open rows
    "CREATE INDEX sessions_open ON sessions (expiry) WHERE completed = 0;
     CREATE INDEX verifier_nonces_open ON verifier_nonces (rp, expiry) WHERE consumed = 0;",
    // 5: each notification with the address it goes to, as the records gave
    // it when the event was written ('' for none), and marked once the mail
    // system accepted it (the delivery worker, at least once), or with why
    // it could not be (refused for good, even at the operator's address);
    // the waiting ones found without a scan. Rows written before delivery
    // existed are marked, not sent: no e-mail for events long past
    "ALTER TABLE outbox ADD COLUMN address TEXT;
     ALTER TABLE outbox ADD COLUMN delivered_at INTEGER;
     ALTER TABLE outbox ADD COLUMN failure TEXT;
     UPDATE outbox SET delivered_at = 0, failure = 'written before delivery existed (schema 5)';
     CREATE INDEX outbox_waiting ON outbox (seq) WHERE delivered_at IS NULL;",
    // 6: each certificate's place in Status's status list (STL-001); the
    // entries of an older store get theirs in the order they were written
    "ALTER TABLE status_entries ADD COLUMN list_index INTEGER;
     UPDATE status_entries SET list_index = rowid - 1;
     CREATE UNIQUE INDEX status_entries_by_list_index ON status_entries (list_index);",
];

/// PostgreSQL's migrations, oldest first: integers are BIGINT, bytes
/// BYTEA, and the outboxes' sequence numbers identity columns.
pub const POSTGRES_MIGRATIONS: &[&str] = &[
    // 1: SQLite's 1 to 5
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BYTEA NOT NULL);
     CREATE TABLE cards (holder BYTEA PRIMARY KEY, body BYTEA NOT NULL);
     CREATE TABLE certs (serial BYTEA PRIMARY KEY, holder BYTEA NOT NULL, body BYTEA NOT NULL);
     CREATE INDEX certs_by_holder ON certs (holder);
     CREATE TABLE sessions (nonce BYTEA PRIMARY KEY, expiry BIGINT NOT NULL, completed BIGINT NOT NULL);
     CREATE INDEX sessions_by_expiry ON sessions (expiry);
     CREATE INDEX sessions_open ON sessions (expiry) WHERE completed = 0;
     CREATE TABLE answers (endpoint TEXT NOT NULL, holder BYTEA NOT NULL, key BYTEA NOT NULL,
                           stored_at BIGINT NOT NULL, body BYTEA NOT NULL,
                           PRIMARY KEY (endpoint, holder, key));
     CREATE INDEX answers_by_age ON answers (stored_at);
     CREATE TABLE wipes (id BYTEA PRIMARY KEY, device BYTEA NOT NULL, body BYTEA NOT NULL);
     CREATE INDEX wipes_by_device ON wipes (device);
     CREATE TABLE outbox (seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, role TEXT NOT NULL,
                          body BYTEA NOT NULL, address TEXT, delivered_at BIGINT, failure TEXT);
     CREATE INDEX outbox_waiting ON outbox (seq) WHERE delivered_at IS NULL;
     CREATE TABLE status_entries (serial BYTEA PRIMARY KEY, body BYTEA NOT NULL, sequence BIGINT NOT NULL);
     CREATE TABLE usage_log (seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, body BYTEA NOT NULL);
     CREATE TABLE notified (rp TEXT NOT NULL, nonce BYTEA NOT NULL, serial BYTEA NOT NULL,
                            PRIMARY KEY (rp, nonce, serial));
     CREATE TABLE verifier_nonces (rp TEXT NOT NULL, nonce BYTEA NOT NULL, expiry BIGINT NOT NULL,
                                   consumed BIGINT NOT NULL, body BYTEA NOT NULL, PRIMARY KEY (rp, nonce));
     CREATE INDEX verifier_nonces_by_expiry ON verifier_nonces (rp, expiry);
     CREATE INDEX verifier_nonces_open ON verifier_nonces (rp, expiry) WHERE consumed = 0;
     CREATE TABLE verifier_counters (rp TEXT NOT NULL, serial BYTEA NOT NULL, counter BIGINT NOT NULL,
                                     PRIMARY KEY (rp, serial));
     CREATE TABLE http_answers (path TEXT NOT NULL, key BYTEA NOT NULL, digest BYTEA NOT NULL,
                                status BIGINT NOT NULL, body BYTEA NOT NULL, stored_at BIGINT NOT NULL,
                                PRIMARY KEY (path, key));
     CREATE INDEX http_answers_by_age ON http_answers (stored_at);
     CREATE TABLE feed_outbox (seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, body BYTEA NOT NULL);
     CREATE TABLE refusals (seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, time BIGINT NOT NULL,
                            path TEXT NOT NULL, code TEXT NOT NULL, requirement TEXT NOT NULL,
                            body_digest BYTEA NOT NULL);
     CREATE TABLE audit (seq BIGINT PRIMARY KEY, time BIGINT NOT NULL, path TEXT NOT NULL,
                         outcome TEXT NOT NULL, requirement TEXT NOT NULL, body_digest BYTEA NOT NULL,
                         prev BYTEA NOT NULL, hash BYTEA NOT NULL);
     CREATE TABLE write_queue (never_written BOOLEAN);
     COMMENT ON TABLE write_queue IS 'only locked: every writing step takes its lock first (the audit chain orders every change); empty, so no vacuum ever waits on it';",
    // 2: SQLite's 6
    "ALTER TABLE status_entries ADD COLUMN list_index BIGINT;
     UPDATE status_entries SET list_index = numbered.n
       FROM (SELECT serial, row_number() OVER (ORDER BY serial) - 1 AS n FROM status_entries) AS numbered
       WHERE status_entries.serial = numbered.serial;
     CREATE UNIQUE INDEX status_entries_by_list_index ON status_entries (list_index);",
];

/// Where a PostgreSQL database records its schema version.
pub const POSTGRES_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)";

/// Taken first in each PostgreSQL migration's transaction: instances
/// starting together migrate one at a time (the database's advisory lock,
/// released at commit).
pub const POSTGRES_MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(7316592024)";

/// The migrations of `backend`.
pub fn migrations(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Sqlite => MIGRATIONS,
        Backend::Postgres => POSTGRES_MIGRATIONS,
    }
}

/// The schema version this build writes on `backend`.
pub fn current_version(backend: Backend) -> usize {
    migrations(backend).len()
}
