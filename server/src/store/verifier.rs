//! A verifier's records in the store, one set per rp id (see [`super::IssuerTables`]).

use jpki_reference::Result;
use jpki_reference::msgs::Nonce;
use jpki_reference::time::UnixTime;
use jpki_reference::verifier::{IssuedNonce, VerifierRecords, VerifierState, VerifierWrites};

use super::{Tx, count, decode, encode, fault};
use crate::args;

/// One verifier's tables, seen through one transaction.
pub struct VerifierTables<'a> {
    tx: &'a Tx<'a>,
    rp: &'a str,
}

impl<'a> VerifierTables<'a> {
    /// The tables of verifier `rp` in `tx`.
    pub fn new(tx: &'a Tx<'a>, rp: &'a str) -> Self {
        VerifierTables { tx, rp }
    }

    /// Writes a step's writes.
    pub fn apply(&self, writes: &VerifierWrites) -> Result<()> {
        let (tx, rp) = (self.tx, self.rp);
        if let Some(before) = writes.forget_expired_before {
            tx.execute("DELETE FROM verifier_nonces WHERE rp = ?1 AND expiry < ?2", args![rp, before])?;
        }
        for (nonce, issued) in &writes.nonces {
            tx.execute(
                "INSERT INTO verifier_nonces (rp, nonce, expiry, consumed, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (rp, nonce) DO UPDATE SET expiry = excluded.expiry, consumed = excluded.consumed,
                 body = excluded.body",
                args![rp, nonce, issued.expiry, issued.consumed, encode(issued)?],
            )?;
        }
        for (serial, counter) in &writes.counters {
            tx.execute(
                "INSERT INTO verifier_counters (rp, serial, counter) VALUES (?1, ?2, ?3)
                 ON CONFLICT (rp, serial) DO UPDATE SET counter = excluded.counter",
                args![rp, serial, counter],
            )?;
        }
        Ok(())
    }

    /// Every record, as the in-memory state (the `observe` control).
    pub fn state(&self) -> Result<VerifierState> {
        let (tx, rp) = (self.tx, self.rp);
        let mut state = VerifierState::default();
        for row in tx.query("SELECT nonce, body FROM verifier_nonces WHERE rp = ?1", args![rp])? {
            let (nonce, body) = (row.bytes(0)?, row.bytes(1)?);
            let nonce: Nonce = nonce.try_into().map_err(|_| fault("a stored nonce has the wrong length"))?;
            state.nonces.insert(nonce, decode(&body)?);
        }
        for row in tx.query("SELECT serial, counter FROM verifier_counters WHERE rp = ?1", args![rp])? {
            let (serial, counter) = (row.bytes(0)?, row.int(1)?);
            state.counters.insert(serial, u32::try_from(counter).map_err(fault)?);
        }
        Ok(state)
    }

    /// Replaces every record of this verifier with `state` (the `load` control).
    pub fn replace(&self, state: &VerifierState) -> Result<()> {
        let (tx, rp) = (self.tx, self.rp);
        tx.execute("DELETE FROM verifier_nonces WHERE rp = ?1", args![rp])?;
        tx.execute("DELETE FROM verifier_counters WHERE rp = ?1", args![rp])?;
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
        let row = self
            .tx
            .query_opt("SELECT body FROM verifier_nonces WHERE rp = ?1 AND nonce = ?2", args![self.rp, nonce])?;
        row.map(|r| decode(&r.bytes(0)?)).transpose()
    }
    fn open_nonces(&self, now: UnixTime) -> Result<usize> {
        let open = count(
            self.tx,
            "SELECT COUNT(*) FROM verifier_nonces WHERE rp = ?1 AND expiry >= ?2 AND consumed = 0",
            args![self.rp, now],
        )?;
        usize::try_from(open).map_err(fault)
    }
    fn counter(&self, serial: &[u8]) -> Result<Option<u32>> {
        let row = self
            .tx
            .query_opt("SELECT counter FROM verifier_counters WHERE rp = ?1 AND serial = ?2", args![self.rp, serial])?;
        row.map(|r| u32::try_from(r.int(0)?).map_err(fault)).transpose()
    }
    fn any_nonce(&self) -> Result<Option<IssuedNonce>> {
        let row = self
            .tx
            .query_opt("SELECT body FROM verifier_nonces WHERE rp = ?1 ORDER BY nonce LIMIT 1", args![self.rp])?;
        row.map(|r| decode(&r.bytes(0)?)).transpose()
    }
}
