//! The store's schema, as the list of migrations that build it. A database
//! records how many it has applied (`PRAGMA user_version`); opening it
//! applies the rest in order, each in its own transaction. A migration is
//! never edited once released: a change is a new one at the end.

/// Every migration, oldest first; the schema version is the count applied.
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
];

/// The schema version this build writes.
pub fn current_version() -> usize {
    MIGRATIONS.len()
}
