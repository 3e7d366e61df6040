//! How an Issuer transition meets its records: it reads them through
//! [`IssuerRecords`] (by holder, serial, nonce, idempotency scope, wipe id)
//! and returns the [`IssuerWrites`] it makes. The in-memory state and a
//! database both implement the reads and apply the writes, so each
//! transition is defined once and never clones, scans or re-encodes the
//! whole registry.

use std::collections::BTreeMap;

use super::{CardRecord, IssuerState, MobileCertRecord, Session, StoredAnswer, WipeRecord};
use crate::constants::{IDEMPOTENCY_RETENTION_SECS, NONCE_LIFETIME_SECS};
use crate::error::Result;
use crate::msgs::{Digest, IdempotencyKey, Nonce};
use crate::notify::Notification;
use crate::time::UnixTime;

/// An idempotency record's scope: (endpoint, holder, key).
pub type Scope = (String, Vec<u8>, IdempotencyKey);

/// A wipe command's id.
pub type WipeId = [u8; 16];

/// The lookups an Issuer transition makes. Every one is a keyed read (or a
/// read of one holder's or one device's records): a store answers each with
/// an index.
pub trait IssuerRecords {
    /// The card registered under an auth-certificate serial.
    fn card(&self, holder: &[u8]) -> Result<Option<CardRecord>>;
    /// A mobile certificate by serial.
    fn cert(&self, serial: &[u8]) -> Result<Option<MobileCertRecord>>;
    /// Every mobile certificate of one holder, by serial.
    fn holder_certs(&self, holder: &[u8]) -> Result<BTreeMap<Vec<u8>, MobileCertRecord>>;
    /// An issuance session by nonce.
    fn session(&self, nonce: &Nonce) -> Result<Option<Session>>;
    /// How many sessions are open (not completed, not expired) at `now`.
    fn open_sessions(&self, now: UnixTime) -> Result<usize>;
    /// The stored answer of an idempotency scope.
    fn answer(&self, scope: &Scope) -> Result<Option<StoredAnswer>>;
    /// A wipe command by id.
    fn wipe(&self, id: &WipeId) -> Result<Option<WipeRecord>>;
    /// Every wipe command for one device, by id.
    fn device_wipes(&self, device: &Digest) -> Result<BTreeMap<WipeId, WipeRecord>>;
    /// The sequence number of the last StatusFeed sent.
    fn feed_sequence(&self) -> Result<u64>;
}

/// Records a transition forgets: what is past its keeping time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prune {
    /// Forget sessions whose expiry is before this.
    pub sessions_expired_before: Option<UnixTime>,
    /// Forget idempotency records stored before this (ISS-012).
    pub answers_stored_before: Option<UnixTime>,
}

/// The writes one Issuer transition makes, applied by the caller in one
/// step (one database transaction) or not at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IssuerWrites {
    /// Cards inserted or replaced.
    pub cards: BTreeMap<Vec<u8>, CardRecord>,
    /// Mobile certificates inserted or replaced.
    pub certs: BTreeMap<Vec<u8>, MobileCertRecord>,
    /// Sessions inserted or replaced.
    pub sessions: BTreeMap<Nonce, Session>,
    /// Idempotency records inserted.
    pub answers: BTreeMap<Scope, StoredAnswer>,
    /// Wipe commands inserted or replaced.
    pub wipes: BTreeMap<WipeId, WipeRecord>,
    /// Notifications appended to the outbox, in order.
    pub outbox: Vec<Notification>,
    /// The new feed sequence number, when it moved.
    pub feed_sequence: Option<u64>,
    /// What to forget.
    pub prune: Prune,
}

impl IssuerWrites {
    /// Whether the transition changed nothing.
    pub fn is_empty(&self) -> bool {
        *self == IssuerWrites::default()
    }
}

/// A transition in progress: the records as they stand plus the writes made
/// so far, which later reads see (records it pruned read as gone, sessions
/// it opened or completed count as they now stand).
pub(super) struct Tx<'a> {
    base: &'a dyn IssuerRecords,
    /// The writes so far.
    pub writes: IssuerWrites,
}

impl<'a> Tx<'a> {
    pub(super) fn new(base: &'a dyn IssuerRecords) -> Self {
        Tx { base, writes: IssuerWrites::default() }
    }

    pub(super) fn put_cert(&mut self, serial: &[u8], record: MobileCertRecord) {
        self.writes.certs.insert(serial.to_vec(), record);
    }

    pub(super) fn put_card(&mut self, holder: &[u8], record: CardRecord) {
        self.writes.cards.insert(holder.to_vec(), record);
    }

    pub(super) fn put_session(&mut self, nonce: Nonce, session: Session) {
        self.writes.sessions.insert(nonce, session);
    }

    pub(super) fn put_wipe(&mut self, id: WipeId, record: WipeRecord) {
        self.writes.wipes.insert(id, record);
    }

    /// The next feed sequence number, taken.
    pub(super) fn next_feed_sequence(&mut self) -> Result<u64> {
        let next = self.feed_sequence()?.saturating_add(1);
        self.writes.feed_sequence = Some(next);
        Ok(next)
    }

    pub(super) fn notify(&mut self, notification: Notification) {
        self.writes.outbox.push(notification);
    }
}

impl IssuerRecords for Tx<'_> {
    fn card(&self, holder: &[u8]) -> Result<Option<CardRecord>> {
        match self.writes.cards.get(holder) {
            Some(card) => Ok(Some(card.clone())),
            None => self.base.card(holder),
        }
    }
    fn cert(&self, serial: &[u8]) -> Result<Option<MobileCertRecord>> {
        match self.writes.certs.get(serial) {
            Some(cert) => Ok(Some(cert.clone())),
            None => self.base.cert(serial),
        }
    }
    fn holder_certs(&self, holder: &[u8]) -> Result<BTreeMap<Vec<u8>, MobileCertRecord>> {
        let mut certs = self.base.holder_certs(holder)?;
        for (serial, record) in &self.writes.certs {
            if record.holder == holder {
                certs.insert(serial.clone(), record.clone());
            }
        }
        Ok(certs)
    }
    fn session(&self, nonce: &Nonce) -> Result<Option<Session>> {
        let pruned = self.writes.prune.sessions_expired_before;
        match self.writes.sessions.get(nonce) {
            Some(session) => Ok(Some(session.clone())),
            None => Ok(self.base.session(nonce)?.filter(|s| pruned.is_none_or(|before| s.expiry >= before))),
        }
    }
    fn open_sessions(&self, now: UnixTime) -> Result<usize> {
        // the sessions this transition opened (or closed) count as they now stand
        let mut open = self.base.open_sessions(now)?;
        for (nonce, session) in &self.writes.sessions {
            let was = self.base.session(nonce)?.is_some_and(|s| !s.completed && s.expiry >= now);
            let is = !session.completed && session.expiry >= now;
            match (was, is) {
                (false, true) => open += 1,
                (true, false) => open = open.saturating_sub(1),
                _ => {}
            }
        }
        Ok(open)
    }
    fn answer(&self, scope: &Scope) -> Result<Option<StoredAnswer>> {
        let pruned = self.writes.prune.answers_stored_before;
        match self.writes.answers.get(scope) {
            Some(answer) => Ok(Some(answer.clone())),
            None => Ok(self.base.answer(scope)?.filter(|a| pruned.is_none_or(|before| a.stored_at >= before))),
        }
    }
    fn wipe(&self, id: &WipeId) -> Result<Option<WipeRecord>> {
        match self.writes.wipes.get(id) {
            Some(wipe) => Ok(Some(wipe.clone())),
            None => self.base.wipe(id),
        }
    }
    fn device_wipes(&self, device: &Digest) -> Result<BTreeMap<WipeId, WipeRecord>> {
        let mut wipes = self.base.device_wipes(device)?;
        for (id, record) in &self.writes.wipes {
            if record.device == *device {
                wipes.insert(*id, record.clone());
            }
        }
        Ok(wipes)
    }
    fn feed_sequence(&self) -> Result<u64> {
        match self.writes.feed_sequence {
            Some(sequence) => Ok(sequence),
            None => self.base.feed_sequence(),
        }
    }
}

impl IssuerRecords for IssuerState {
    fn card(&self, holder: &[u8]) -> Result<Option<CardRecord>> {
        Ok(self.cards.get(holder).cloned())
    }
    fn cert(&self, serial: &[u8]) -> Result<Option<MobileCertRecord>> {
        Ok(self.certs.get(serial).cloned())
    }
    fn holder_certs(&self, holder: &[u8]) -> Result<BTreeMap<Vec<u8>, MobileCertRecord>> {
        Ok(self.certs.iter().filter(|(_, c)| c.holder == holder).map(|(s, c)| (s.clone(), c.clone())).collect())
    }
    fn session(&self, nonce: &Nonce) -> Result<Option<Session>> {
        Ok(self.sessions.get(nonce).cloned())
    }
    fn open_sessions(&self, now: UnixTime) -> Result<usize> {
        Ok(self.sessions.values().filter(|s| !s.completed && s.expiry >= now).count())
    }
    fn answer(&self, scope: &Scope) -> Result<Option<StoredAnswer>> {
        Ok(self.idempotency.get(scope).cloned())
    }
    fn wipe(&self, id: &WipeId) -> Result<Option<WipeRecord>> {
        Ok(self.wipes.get(id).cloned())
    }
    fn device_wipes(&self, device: &Digest) -> Result<BTreeMap<WipeId, WipeRecord>> {
        Ok(self.wipes.iter().filter(|(_, w)| w.device == *device).map(|(id, w)| (*id, w.clone())).collect())
    }
    fn feed_sequence(&self) -> Result<u64> {
        Ok(self.feed_sequence)
    }
}

impl IssuerState {
    /// Applies a transition's writes (the in-memory store's commit).
    pub fn apply(&mut self, writes: IssuerWrites) {
        let IssuerWrites { cards, certs, sessions, answers, wipes, outbox, feed_sequence, prune } = writes;
        if let Some(before) = prune.sessions_expired_before {
            self.sessions.retain(|_, s| s.expiry >= before);
        }
        if let Some(before) = prune.answers_stored_before {
            self.idempotency.retain(|_, a| a.stored_at >= before);
        }
        self.cards.extend(cards);
        self.certs.extend(certs);
        self.sessions.extend(sessions);
        self.idempotency.extend(answers);
        self.wipes.extend(wipes);
        self.outbox.extend(outbox);
        if let Some(sequence) = feed_sequence {
            self.feed_sequence = sequence;
        }
    }
}

/// The cut-off for sessions kept at `now`: one lifetime past their expiry.
pub(super) fn sessions_kept_from(now: UnixTime) -> UnixTime {
    now.saturating_sub(NONCE_LIFETIME_SECS)
}

/// The cut-off for idempotency records kept at `now` (ISS-012).
pub(super) fn answers_kept_from(now: UnixTime) -> UnixTime {
    now.saturating_sub(IDEMPOTENCY_RETENTION_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transition_reads_its_own_writes_and_not_what_it_pruned() {
        let mut state = IssuerState::default();
        state.sessions.insert([1; 32], Session { expiry: 10, completed: false });
        state.sessions.insert([2; 32], Session { expiry: 500, completed: false });
        let mut tx = Tx::new(&state);
        assert_eq!(tx.open_sessions(100).ok(), Some(1));
        tx.writes.prune.sessions_expired_before = Some(20);
        tx.put_session([3; 32], Session { expiry: 400, completed: false });
        tx.put_session([2; 32], Session { expiry: 500, completed: true });
        assert_eq!(tx.session(&[1; 32]).ok(), Some(None), "pruned");
        assert_eq!(tx.session(&[3; 32]).ok().flatten().map(|s| s.expiry), Some(400), "written");
        assert_eq!(tx.open_sessions(100).ok(), Some(1), "one opened, one completed");
        let writes = tx.writes;
        state.apply(writes);
        assert_eq!(state.open_sessions(100).ok(), Some(1));
        assert!(!state.sessions.contains_key(&[1; 32]));
    }
}
