//! The Issuer's records in SQLite: each lookup of [`IssuerRecords`] is one
//! indexed query, and [`IssuerTables::apply`] writes a step's
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
use rusqlite::{OptionalExtension, Transaction, params};

use super::{decode, encode, fault, meta_set_u64, meta_u64};

/// The Issuer's tables, seen through one transaction.
pub struct IssuerTables<'a> {
    tx: &'a Transaction<'a>,
}

fn one<T: serde::de::DeserializeOwned>(tx: &Transaction<'_>, sql: &str, key: &[u8]) -> Result<Option<T>> {
    let body: Option<Vec<u8>> = tx.query_row(sql, params![key], |r| r.get(0)).optional().map_err(fault)?;
    body.map(|b| decode(&b)).transpose()
}

fn fixed<const N: usize>(bytes: Vec<u8>) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| fault("a stored key has the wrong length"))
}

impl<'a> IssuerTables<'a> {
    /// The tables in `tx`.
    pub fn new(tx: &'a Transaction<'a>) -> Self {
        IssuerTables { tx }
    }

    /// Writes a step's writes.
    pub fn apply(&self, writes: &IssuerWrites) -> Result<()> {
        let tx = self.tx;
        if let Some(before) = writes.prune.sessions_expired_before {
            tx.execute("DELETE FROM sessions WHERE expiry < ?1", params![before as i64]).map_err(fault)?;
        }
        if let Some(before) = writes.prune.answers_stored_before {
            tx.execute("DELETE FROM answers WHERE stored_at < ?1", params![before as i64]).map_err(fault)?;
        }
        for (holder, card) in &writes.cards {
            tx.execute("INSERT OR REPLACE INTO cards (holder, body) VALUES (?1, ?2)", params![holder, encode(card)?])
                .map_err(fault)?;
        }
        for (serial, cert) in &writes.certs {
            tx.execute(
                "INSERT OR REPLACE INTO certs (serial, holder, body) VALUES (?1, ?2, ?3)",
                params![serial, cert.holder, encode(cert)?],
            )
            .map_err(fault)?;
        }
        for (nonce, session) in &writes.sessions {
            tx.execute(
                "INSERT OR REPLACE INTO sessions (nonce, expiry, completed) VALUES (?1, ?2, ?3)",
                params![nonce.as_slice(), session.expiry as i64, session.completed],
            )
            .map_err(fault)?;
        }
        for ((endpoint, holder, key), answer) in &writes.answers {
            tx.execute(
                "INSERT OR REPLACE INTO answers (endpoint, holder, key, stored_at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![endpoint, holder, key.as_slice(), answer.stored_at as i64, encode(answer)?],
            )
            .map_err(fault)?;
        }
        for (id, wipe) in &writes.wipes {
            tx.execute(
                "INSERT OR REPLACE INTO wipes (id, device, body) VALUES (?1, ?2, ?3)",
                params![id.as_slice(), wipe.device.as_slice(), encode(wipe)?],
            )
            .map_err(fault)?;
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
        let mut query = tx.prepare("SELECT nonce, expiry, completed FROM sessions").map_err(fault)?;
        let rows = query
            .query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?, r.get::<_, bool>(2)?)))
            .map_err(fault)?;
        for row in rows {
            let (nonce, expiry, completed) = row.map_err(fault)?;
            state.sessions.insert(fixed(nonce)?, Session { expiry: expiry as UnixTime, completed });
        }
        let mut query = tx.prepare("SELECT endpoint, holder, key, body FROM answers").map_err(fault)?;
        let rows = query
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Vec<u8>>(2)?, r.get::<_, Vec<u8>>(3)?))
            })
            .map_err(fault)?;
        for row in rows {
            let (endpoint, holder, key, body) = row.map_err(fault)?;
            state.idempotency.insert((endpoint, holder, fixed(key)?), decode(&body)?);
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
        self.tx
            .execute_batch(
                "DELETE FROM cards; DELETE FROM certs; DELETE FROM sessions; DELETE FROM answers;
                 DELETE FROM wipes; DELETE FROM outbox WHERE role = 'issuer';",
            )
            .map_err(fault)?;
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
pub(super) fn pairs(tx: &Transaction<'_>, sql: &str) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut query = tx.prepare(sql).map_err(fault)?;
    let rows = query
        .query_map([], |r| {
            let key = match r.get_ref(0)? {
                rusqlite::types::ValueRef::Integer(n) => n.to_be_bytes().to_vec(),
                other => other.as_blob()?.to_vec(),
            };
            Ok((key, r.get::<_, Vec<u8>>(1)?))
        })
        .map_err(fault)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(fault)
}

impl IssuerRecords for IssuerTables<'_> {
    fn card(&self, holder: &[u8]) -> Result<Option<CardRecord>> {
        one(self.tx, "SELECT body FROM cards WHERE holder = ?1", holder)
    }
    fn cert(&self, serial: &[u8]) -> Result<Option<MobileCertRecord>> {
        one(self.tx, "SELECT body FROM certs WHERE serial = ?1", serial)
    }
    fn holder_certs(&self, holder: &[u8]) -> Result<BTreeMap<Vec<u8>, MobileCertRecord>> {
        let mut query = self.tx.prepare_cached("SELECT serial, body FROM certs WHERE holder = ?1").map_err(fault)?;
        let rows = query
            .query_map(params![holder], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .map_err(fault)?;
        let mut certs = BTreeMap::new();
        for row in rows {
            let (serial, body) = row.map_err(fault)?;
            certs.insert(serial, decode(&body)?);
        }
        Ok(certs)
    }
    fn session(&self, nonce: &Nonce) -> Result<Option<Session>> {
        self.tx
            .query_row("SELECT expiry, completed FROM sessions WHERE nonce = ?1", params![nonce.as_slice()], |r| {
                Ok(Session { expiry: r.get::<_, i64>(0)? as UnixTime, completed: r.get(1)? })
            })
            .optional()
            .map_err(fault)
    }
    fn open_sessions(&self, now: UnixTime) -> Result<usize> {
        let count: i64 = self
            .tx
            .query_row("SELECT COUNT(*) FROM sessions WHERE expiry >= ?1 AND completed = 0", params![now as i64], |r| {
                r.get(0)
            })
            .map_err(fault)?;
        usize::try_from(count).map_err(fault)
    }
    fn answer(&self, scope: &Scope) -> Result<Option<StoredAnswer>> {
        let (endpoint, holder, key) = scope;
        let body: Option<Vec<u8>> = self
            .tx
            .query_row(
                "SELECT body FROM answers WHERE endpoint = ?1 AND holder = ?2 AND key = ?3",
                params![endpoint, holder, key.as_slice()],
                |r| r.get(0),
            )
            .optional()
            .map_err(fault)?;
        body.map(|b| decode(&b)).transpose()
    }
    fn wipe(&self, id: &WipeId) -> Result<Option<WipeRecord>> {
        one(self.tx, "SELECT body FROM wipes WHERE id = ?1", id)
    }
    fn device_wipes(&self, device: &Digest) -> Result<BTreeMap<WipeId, WipeRecord>> {
        let mut query = self.tx.prepare_cached("SELECT id, body FROM wipes WHERE device = ?1").map_err(fault)?;
        let rows = query
            .query_map(params![device.as_slice()], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .map_err(fault)?;
        let mut wipes = BTreeMap::new();
        for row in rows {
            let (id, body) = row.map_err(fault)?;
            wipes.insert(fixed(id)?, decode(&body)?);
        }
        Ok(wipes)
    }
    fn feed_sequence(&self) -> Result<u64> {
        meta_u64(self.tx, "feed_sequence")
    }
}
