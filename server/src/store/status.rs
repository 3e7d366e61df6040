//! Status's records in SQLite (see [`super::IssuerTables`]).

use jpki_reference::Result;
use jpki_reference::msgs::Kind;
use jpki_reference::msgs::status::CertStatus;
use jpki_reference::notify::Notification;
use jpki_reference::status::{NotifiedScope, StatusRecords, StatusState, StatusWrites, UsageEntry};
use rusqlite::{OptionalExtension, Transaction, params};

use super::issuer::pairs;
use super::{decode, encode, fault};

/// Status's tables, seen through one transaction.
pub struct StatusTables<'a> {
    tx: &'a Transaction<'a>,
}

impl<'a> StatusTables<'a> {
    /// The tables in `tx`.
    pub fn new(tx: &'a Transaction<'a>) -> Self {
        StatusTables { tx }
    }

    /// Writes a step's writes.
    pub fn apply(&self, writes: &StatusWrites) -> Result<()> {
        let tx = self.tx;
        // an entry and its feed sequence are written each on its own: a write
        // of one never resets the other (STA-008)
        for (serial, entry) in &writes.entries {
            tx.execute(
                "INSERT INTO status_entries (serial, body, sequence) VALUES (?1, ?2, 0)
                 ON CONFLICT (serial) DO UPDATE SET body = excluded.body",
                params![serial, encode(entry)?],
            )
            .map_err(fault)?;
        }
        for (serial, sequence) in &writes.sequences {
            tx.execute("UPDATE status_entries SET sequence = ?2 WHERE serial = ?1", params![serial, *sequence as i64])
                .map_err(fault)?;
        }
        for entry in &writes.usage_log {
            tx.execute("INSERT INTO usage_log (body) VALUES (?1)", params![encode(entry)?]).map_err(fault)?;
        }
        for notification in &writes.outbox {
            super::outbox::append(tx, "status", notification)?;
        }
        for (rp, nonce, serial) in &writes.notified {
            tx.execute(
                "INSERT OR IGNORE INTO notified (rp, nonce, serial) VALUES (?1, ?2, ?3)",
                params![rp, nonce.as_slice(), serial],
            )
            .map_err(fault)?;
        }
        Ok(())
    }

    /// Every record, as the in-memory state (the `observe` control).
    pub fn state(&self) -> Result<StatusState> {
        let tx = self.tx;
        let mut state = StatusState::default();
        let mut query = tx.prepare("SELECT serial, body, sequence FROM status_entries").map_err(fault)?;
        let rows = query
            .query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, i64>(2)?)))
            .map_err(fault)?;
        for row in rows {
            let (serial, body, sequence) = row.map_err(fault)?;
            state.entries.insert(serial.clone(), decode(&body)?);
            if sequence > 0 {
                state.sequences.insert(serial, sequence as u64);
            }
        }
        for (_, body) in pairs(tx, "SELECT seq, body FROM usage_log ORDER BY seq")? {
            state.usage_log.push(decode::<UsageEntry>(&body)?);
        }
        for (_, body) in pairs(tx, "SELECT seq, body FROM outbox WHERE role = 'status' ORDER BY seq")? {
            state.outbox.push(decode::<Notification>(&body)?);
        }
        let mut query = tx.prepare("SELECT rp, nonce, serial FROM notified").map_err(fault)?;
        let rows = query
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Vec<u8>>(2)?)))
            .map_err(fault)?;
        for row in rows {
            let (rp, nonce, serial) = row.map_err(fault)?;
            let nonce = nonce.try_into().map_err(|_| fault("a stored nonce has the wrong length"))?;
            state.notified.insert((rp, nonce, serial));
        }
        Ok(state)
    }

    /// Replaces every Status record with `state` (the `load` control).
    pub fn replace(&self, state: &StatusState) -> Result<()> {
        self.tx
            .execute_batch(
                "DELETE FROM status_entries; DELETE FROM usage_log; DELETE FROM notified;
                 DELETE FROM outbox WHERE role = 'status';",
            )
            .map_err(fault)?;
        let writes = StatusWrites {
            entries: state.entries.clone(),
            sequences: state.sequences.clone(),
            usage_log: state.usage_log.clone(),
            outbox: state.outbox.clone(),
            notified: state.notified.clone(),
        };
        self.apply(&writes)?;
        super::outbox::loaded(self.tx, "status")
    }
}

impl StatusRecords for StatusTables<'_> {
    fn entry(&self, serial: &[u8]) -> Result<Option<(Kind, CertStatus)>> {
        let body: Option<Vec<u8>> = self
            .tx
            .query_row("SELECT body FROM status_entries WHERE serial = ?1", params![serial], |r| r.get(0))
            .optional()
            .map_err(fault)?;
        body.map(|b| decode(&b)).transpose()
    }
    fn sequence(&self, serial: &[u8]) -> Result<u64> {
        let sequence: Option<i64> = self
            .tx
            .query_row("SELECT sequence FROM status_entries WHERE serial = ?1", params![serial], |r| r.get(0))
            .optional()
            .map_err(fault)?;
        Ok(sequence.unwrap_or(0) as u64)
    }
    fn notified(&self, scope: &NotifiedScope) -> Result<bool> {
        let (rp, nonce, serial) = scope;
        let found: Option<i64> = self
            .tx
            .query_row(
                "SELECT 1 FROM notified WHERE rp = ?1 AND nonce = ?2 AND serial = ?3",
                params![rp, nonce.as_slice(), serial],
                |r| r.get(0),
            )
            .optional()
            .map_err(fault)?;
        Ok(found.is_some())
    }
}
