//! The Issuer's records in the store: each lookup of [`IssuerRecords`] is
//! one indexed query, and [`IssuerTables::apply`] writes a step's
//! [`IssuerWrites`] in the caller's transaction.

use std::collections::BTreeMap;

use jpki_reference::Result;
use jpki_reference::issuer::{
    CardRecord, IssuerRecords, IssuerState, IssuerWrites, MobileCertRecord, Scope, Session, StoredAnswer, WipeId,
    WipeRecord,
};
use jpki_reference::msgs::{Digest, Nonce};
use jpki_reference::notify::Notification;
use jpki_reference::time::UnixTime;

use super::{Tx, count, decode, encode, fault, meta_set_u64, meta_u64};
use crate::args;

/// The Issuer's tables, seen through one transaction.
pub struct IssuerTables<'a> {
    tx: &'a Tx<'a>,
}

fn one<T: serde::de::DeserializeOwned>(tx: &Tx<'_>, sql: &str, key: &[u8]) -> Result<Option<T>> {
    tx.query_opt(sql, args![key])?.map(|row| decode(&row.bytes(0)?)).transpose()
}

fn fixed<const N: usize>(bytes: Vec<u8>) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| fault("a stored key has the wrong length"))
}

impl<'a> IssuerTables<'a> {
    /// The tables in `tx`.
    pub fn new(tx: &'a Tx<'a>) -> Self {
        IssuerTables { tx }
    }

    /// Writes a step's writes.
    pub fn apply(&self, writes: &IssuerWrites) -> Result<()> {
        let tx = self.tx;
        if let Some(before) = writes.prune.sessions_expired_before {
            tx.execute("DELETE FROM sessions WHERE expiry < ?1", args![before])?;
        }
        if let Some(before) = writes.prune.answers_stored_before {
            tx.execute("DELETE FROM answers WHERE stored_at < ?1", args![before])?;
        }
        for (holder, card) in &writes.cards {
            tx.execute(
                "INSERT INTO cards (holder, body) VALUES (?1, ?2) ON CONFLICT (holder) DO UPDATE SET body = excluded.body",
                args![holder, encode(card)?],
            )?;
        }
        for (serial, cert) in &writes.certs {
            tx.execute(
                "INSERT INTO certs (serial, holder, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (serial) DO UPDATE SET holder = excluded.holder, body = excluded.body",
                args![serial, cert.holder, encode(cert)?],
            )?;
        }
        for (nonce, session) in &writes.sessions {
            tx.execute(
                "INSERT INTO sessions (nonce, expiry, completed) VALUES (?1, ?2, ?3)
                 ON CONFLICT (nonce) DO UPDATE SET expiry = excluded.expiry, completed = excluded.completed",
                args![nonce, session.expiry, session.completed],
            )?;
        }
        for ((endpoint, holder, key), answer) in &writes.answers {
            tx.execute(
                "INSERT INTO answers (endpoint, holder, key, stored_at, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (endpoint, holder, key) DO UPDATE SET stored_at = excluded.stored_at, body = excluded.body",
                args![endpoint, holder, key, answer.stored_at, encode(answer)?],
            )?;
        }
        for (id, wipe) in &writes.wipes {
            tx.execute(
                "INSERT INTO wipes (id, device, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET device = excluded.device, body = excluded.body",
                args![id, wipe.device, encode(wipe)?],
            )?;
        }
        for notification in &writes.outbox {
            super::outbox::append(tx, "issuer", notification)?;
        }
        if let Some(sequence) = writes.feed_sequence {
            meta_set_u64(tx, "feed_sequence", sequence)?;
        }
        Ok(())
    }

    /// Every record, as the in-memory state (the `observe` control: a
    /// scan, offered in test mode only).
    pub fn state(&self) -> Result<IssuerState> {
        let tx = self.tx;
        let mut state = IssuerState { feed_sequence: meta_u64(tx, "feed_sequence")?, ..IssuerState::default() };
        for (holder, body) in pairs(tx, "SELECT holder, body FROM cards")? {
            state.cards.insert(holder, decode(&body)?);
        }
        for (serial, body) in pairs(tx, "SELECT serial, body FROM certs")? {
            state.certs.insert(serial, decode(&body)?);
        }
        for row in tx.query("SELECT nonce, expiry, completed FROM sessions", &[])? {
            let session = Session { expiry: row.int(1)? as UnixTime, completed: row.int(2)? != 0 };
            state.sessions.insert(fixed(row.bytes(0)?)?, session);
        }
        for row in tx.query("SELECT endpoint, holder, key, body FROM answers", &[])? {
            let scope = (row.text(0)?, row.bytes(1)?, fixed(row.bytes(2)?)?);
            state.idempotency.insert(scope, decode(&row.bytes(3)?)?);
        }
        for (id, body) in pairs(tx, "SELECT id, body FROM wipes")? {
            state.wipes.insert(fixed(id)?, decode(&body)?);
        }
        for (_, body) in pairs(tx, "SELECT seq, body FROM outbox WHERE role = 'issuer' ORDER BY seq")? {
            state.outbox.push(decode::<Notification>(&body)?);
        }
        Ok(state)
    }

    /// Replaces every Issuer record with `state` (the `load` control).
    pub fn replace(&self, state: &IssuerState) -> Result<()> {
        self.tx.batch(
            "DELETE FROM cards; DELETE FROM certs; DELETE FROM sessions; DELETE FROM answers;
             DELETE FROM wipes; DELETE FROM outbox WHERE role = 'issuer';",
        )?;
        let writes = IssuerWrites {
            cards: state.cards.clone(),
            certs: state.certs.clone(),
            sessions: state.sessions.clone(),
            answers: state.idempotency.clone(),
            wipes: state.wipes.clone(),
            outbox: state.outbox.clone(),
            feed_sequence: Some(state.feed_sequence),
            ..IssuerWrites::default()
        };
        self.apply(&writes)?;
        super::outbox::loaded(self.tx, "issuer")
    }
}

/// Every (key, body) pair a two-column query returns; the key column may
/// be a blob or an integer (read as its big-endian bytes).
pub(super) fn pairs(tx: &Tx<'_>, sql: &str) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    tx.query(sql, &[])?.iter().map(|row| Ok((row.key(0)?, row.bytes(1)?))).collect()
}

impl IssuerRecords for IssuerTables<'_> {
    fn card(&self, holder: &[u8]) -> Result<Option<CardRecord>> {
        one(self.tx, "SELECT body FROM cards WHERE holder = ?1", holder)
    }
    fn cert(&self, serial: &[u8]) -> Result<Option<MobileCertRecord>> {
        one(self.tx, "SELECT body FROM certs WHERE serial = ?1", serial)
    }
    fn holder_certs(&self, holder: &[u8]) -> Result<BTreeMap<Vec<u8>, MobileCertRecord>> {
        let rows = self.tx.query("SELECT serial, body FROM certs WHERE holder = ?1", args![holder])?;
        rows.iter().map(|row| Ok((row.bytes(0)?, decode(&row.bytes(1)?)?))).collect()
    }
    fn session(&self, nonce: &Nonce) -> Result<Option<Session>> {
        let row = self.tx.query_opt("SELECT expiry, completed FROM sessions WHERE nonce = ?1", args![nonce])?;
        row.map(|r| Ok(Session { expiry: r.int(0)? as UnixTime, completed: r.int(1)? != 0 })).transpose()
    }
    fn open_sessions(&self, now: UnixTime) -> Result<usize> {
        let open = count(self.tx, "SELECT COUNT(*) FROM sessions WHERE expiry >= ?1 AND completed = 0", args![now])?;
        usize::try_from(open).map_err(fault)
    }
    fn answer(&self, scope: &Scope) -> Result<Option<StoredAnswer>> {
        let (endpoint, holder, key) = scope;
        let row = self.tx.query_opt(
            "SELECT body FROM answers WHERE endpoint = ?1 AND holder = ?2 AND key = ?3",
            args![endpoint, holder, key],
        )?;
        row.map(|r| decode(&r.bytes(0)?)).transpose()
    }
    fn wipe(&self, id: &WipeId) -> Result<Option<WipeRecord>> {
        one(self.tx, "SELECT body FROM wipes WHERE id = ?1", id)
    }
    fn device_wipes(&self, device: &Digest) -> Result<BTreeMap<WipeId, WipeRecord>> {
        let rows = self.tx.query("SELECT id, body FROM wipes WHERE device = ?1", args![device])?;
        rows.iter().map(|row| Ok((fixed(row.bytes(0)?)?, decode(&row.bytes(1)?)?))).collect()
    }
    fn feed_sequence(&self) -> Result<u64> {
        meta_u64(self.tx, "feed_sequence")
    }
}
