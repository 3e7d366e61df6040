//! Status's records in the store (see [`super::IssuerTables`]).

use jpki_reference::Result;
use jpki_reference::msgs::Kind;
use jpki_reference::msgs::status::CertStatus;
use jpki_reference::notify::Notification;
use jpki_reference::status::{NotifiedScope, StatusRecords, StatusState, StatusWrites, UsageEntry};

use super::issuer::pairs;
use super::{Tx, decode, encode, fault};
use crate::args;

/// Status's tables, seen through one transaction.
pub struct StatusTables<'a> {
    tx: &'a Tx<'a>,
}

impl<'a> StatusTables<'a> {
    /// The tables in `tx`.
    pub fn new(tx: &'a Tx<'a>) -> Self {
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
                args![serial, encode(entry)?],
            )?;
        }
        for (serial, index) in &writes.list_index {
            tx.execute("UPDATE status_entries SET list_index = ?2 WHERE serial = ?1", args![serial, index])?;
        }
        for (serial, sequence) in &writes.sequences {
            tx.execute("UPDATE status_entries SET sequence = ?2 WHERE serial = ?1", args![serial, sequence])?;
        }
        for entry in &writes.usage_log {
            tx.execute("INSERT INTO usage_log (body) VALUES (?1)", args![encode(entry)?])?;
        }
        for notification in &writes.outbox {
            super::outbox::append(tx, "status", notification)?;
        }
        for (rp, nonce, serial) in &writes.notified {
            tx.execute(
                "INSERT INTO notified (rp, nonce, serial) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                args![rp, nonce, serial],
            )?;
        }
        Ok(())
    }

    /// Every record, as the in-memory state (the `observe` control).
    pub fn state(&self) -> Result<StatusState> {
        let tx = self.tx;
        let mut state = StatusState::default();
        for row in tx.query("SELECT serial, body, sequence, list_index FROM status_entries", &[])? {
            let (serial, body, sequence) = (row.bytes(0)?, row.bytes(1)?, row.int(2)?);
            state.entries.insert(serial.clone(), decode(&body)?);
            if let Some(index) = row.opt_int(3)? {
                state.list_index.insert(serial.clone(), index as u64);
            }
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
        for row in tx.query("SELECT rp, nonce, serial FROM notified", &[])? {
            let (rp, nonce, serial) = (row.text(0)?, row.bytes(1)?, row.bytes(2)?);
            let nonce = nonce.try_into().map_err(|_| fault("a stored nonce has the wrong length"))?;
            state.notified.insert((rp, nonce, serial));
        }
        Ok(state)
    }

    /// Replaces every Status record with `state` (the `load` control).
    pub fn replace(&self, state: &StatusState) -> Result<()> {
        self.tx.batch(
            "DELETE FROM status_entries; DELETE FROM usage_log; DELETE FROM notified;
             DELETE FROM outbox WHERE role = 'status';",
        )?;
        let writes = StatusWrites {
            entries: state.entries.clone(),
            sequences: state.sequences.clone(),
            usage_log: state.usage_log.clone(),
            outbox: state.outbox.clone(),
            notified: state.notified.clone(),
            list_index: state.list_index.clone(),
        };
        self.apply(&writes)?;
        super::outbox::loaded(self.tx, "status")
    }
}

impl StatusRecords for StatusTables<'_> {
    fn entry(&self, serial: &[u8]) -> Result<Option<(Kind, CertStatus)>> {
        let row = self.tx.query_opt("SELECT body FROM status_entries WHERE serial = ?1", args![serial])?;
        row.map(|r| decode(&r.bytes(0)?)).transpose()
    }
    fn sequence(&self, serial: &[u8]) -> Result<u64> {
        let row = self.tx.query_opt("SELECT sequence FROM status_entries WHERE serial = ?1", args![serial])?;
        Ok(row.map(|r| r.int(0)).transpose()?.unwrap_or(0) as u64)
    }
    fn notified(&self, scope: &NotifiedScope) -> Result<bool> {
        let (rp, nonce, serial) = scope;
        let found = self.tx.query_opt(
            "SELECT 1 FROM notified WHERE rp = ?1 AND nonce = ?2 AND serial = ?3",
            args![rp, nonce, serial],
        )?;
        Ok(found.is_some())
    }
    fn list_index(&self, serial: &[u8]) -> Result<Option<u64>> {
        let row = self.tx.query_opt("SELECT list_index FROM status_entries WHERE serial = ?1", args![serial])?;
        Ok(row.map(|r| r.opt_int(0)).transpose()?.flatten().map(|i| i as u64))
    }
    fn next_list_index(&self) -> Result<u64> {
        let row = self.tx.query_opt("SELECT MAX(list_index) FROM status_entries", &[])?;
        Ok(row.map(|r| r.opt_int(0)).transpose()?.flatten().map_or(0, |last| last as u64 + 1))
    }
    fn list_range(&self, from: u64, count: u64) -> Result<Vec<(u64, CertStatus)>> {
        let rows = self.tx.query(
            "SELECT list_index, body FROM status_entries WHERE list_index >= ?1 AND list_index < ?2",
            args![from, from.saturating_add(count)],
        )?;
        rows.iter()
            .map(|row| {
                let (_, status): (Kind, CertStatus) = decode(&row.bytes(1)?)?;
                Ok((row.int(0)? as u64, status))
            })
            .collect()
    }
}
