//! A verifier's records in SQLite, one set per rp id (see [`super::IssuerTables`]).

use jpki_reference::Result;
use jpki_reference::msgs::Nonce;
use jpki_reference::time::UnixTime;
use jpki_reference::verifier::{IssuedNonce, VerifierRecords, VerifierState, VerifierWrites};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{decode, encode, fault};

/// One verifier's tables, seen through one transaction.
pub struct VerifierTables<'a> {
    tx: &'a Transaction<'a>,
    rp: &'a str,
}

impl<'a> VerifierTables<'a> {
    /// The tables of verifier `rp` in `tx`.
    pub fn new(tx: &'a Transaction<'a>, rp: &'a str) -> Self {
        VerifierTables { tx, rp }
    }

    /// Writes a step's writes.
    pub fn apply(&self, writes: &VerifierWrites) -> Result<()> {
        let (tx, rp) = (self.tx, self.rp);
        if let Some(before) = writes.forget_expired_before {
            tx.execute("DELETE FROM verifier_nonces WHERE rp = ?1 AND expiry < ?2", params![rp, before as i64])
                .map_err(fault)?;
        }
        for (nonce, issued) in &writes.nonces {
            tx.execute(
                "INSERT OR REPLACE INTO verifier_nonces (rp, nonce, expiry, consumed, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![rp, nonce.as_slice(), issued.expiry as i64, issued.consumed, encode(issued)?],
            )
            .map_err(fault)?;
        }
        for (serial, counter) in &writes.counters {
            tx.execute(
                "INSERT OR REPLACE INTO verifier_counters (rp, serial, counter) VALUES (?1, ?2, ?3)",
                params![rp, serial, i64::from(*counter)],
            )
            .map_err(fault)?;
        }
        Ok(())
    }

    /// Every record, as the in-memory state (the `observe` control).
    pub fn state(&self) -> Result<VerifierState> {
        let (tx, rp) = (self.tx, self.rp);
        let mut state = VerifierState::default();
        let mut query = tx.prepare("SELECT nonce, body FROM verifier_nonces WHERE rp = ?1").map_err(fault)?;
        let rows =
            query.query_map(params![rp], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))).map_err(fault)?;
        for row in rows {
            let (nonce, body) = row.map_err(fault)?;
            let nonce: Nonce = nonce.try_into().map_err(|_| fault("a stored nonce has the wrong length"))?;
            state.nonces.insert(nonce, decode(&body)?);
        }
        let mut query = tx.prepare("SELECT serial, counter FROM verifier_counters WHERE rp = ?1").map_err(fault)?;
        let rows =
            query.query_map(params![rp], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))).map_err(fault)?;
        for row in rows {
            let (serial, counter) = row.map_err(fault)?;
            state.counters.insert(serial, u32::try_from(counter).map_err(fault)?);
        }
        Ok(state)
    }

    /// Replaces every record of this verifier with `state` (the `load` control).
    pub fn replace(&self, state: &VerifierState) -> Result<()> {
        let (tx, rp) = (self.tx, self.rp);
        tx.execute("DELETE FROM verifier_nonces WHERE rp = ?1", params![rp]).map_err(fault)?;
        tx.execute("DELETE FROM verifier_counters WHERE rp = ?1", params![rp]).map_err(fault)?;
        let writes = VerifierWrites {
            nonces: state.nonces.clone(),
            counters: state.counters.clone(),
            forget_expired_before: None,
        };
        self.apply(&writes)
    }
}

impl VerifierRecords for VerifierTables<'_> {
    fn nonce(&self, nonce: &Nonce) -> Result<Option<IssuedNonce>> {
        let body: Option<Vec<u8>> = self
            .tx
            .query_row(
                "SELECT body FROM verifier_nonces WHERE rp = ?1 AND nonce = ?2",
                params![self.rp, nonce.as_slice()],
                |r| r.get(0),
            )
            .optional()
            .map_err(fault)?;
        body.map(|b| decode(&b)).transpose()
    }
    fn open_nonces(&self, now: UnixTime) -> Result<usize> {
        let count: i64 = self
            .tx
            .query_row(
                "SELECT COUNT(*) FROM verifier_nonces WHERE rp = ?1 AND expiry >= ?2 AND consumed = 0",
                params![self.rp, now as i64],
                |r| r.get(0),
            )
            .map_err(fault)?;
        usize::try_from(count).map_err(fault)
    }
    fn counter(&self, serial: &[u8]) -> Result<Option<u32>> {
        let counter: Option<i64> = self
            .tx
            .query_row(
                "SELECT counter FROM verifier_counters WHERE rp = ?1 AND serial = ?2",
                params![self.rp, serial],
                |r| r.get(0),
            )
            .optional()
            .map_err(fault)?;
        counter.map(|c| u32::try_from(c).map_err(fault)).transpose()
    }
    fn any_nonce(&self) -> Result<Option<IssuedNonce>> {
        let body: Option<Vec<u8>> = self
            .tx
            .query_row("SELECT body FROM verifier_nonces WHERE rp = ?1 ORDER BY nonce LIMIT 1", params![self.rp], |r| {
                r.get(0)
            })
            .optional()
            .map_err(fault)?;
        body.map(|b| decode(&b)).transpose()
    }
}
