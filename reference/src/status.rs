//! Status (the platform-operator role): signed, time-bounded answers about
//! mobile certificates, one per verifier query, and the "used" notification
//! the holder receives for every use Status answers `good` to.

use std::collections::{BTreeMap, BTreeSet};

use crate::codec::Limits;
use crate::codec::cose_sign1::{SignOptions, open, sign1};
use crate::constants::STATUS_FRESHNESS_SECS;
use crate::crypto::CryptoProvider;
use crate::error::{Code, Error, Result};
use crate::msgs::status::{CertStatus, StatusFeed, StatusRequestPayload, StatusResponsePayload};
use crate::msgs::{Kind, Message, Nonce};
use crate::notify::{Event, Notification};
use crate::pki::{Credential, Purpose, TrustAnchor, oids, validate_chain};
use crate::time::UnixTime;

/// What Status is configured with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusConfig {
    /// The status signer's key and certificate.
    pub signer: Credential,
    /// Trust anchor for verifier certificates.
    pub verifier_anchor: TrustAnchor,
    /// Trust anchor for the Issuer's back-office certificate that signs
    /// StatusFeed messages (the mobile root, STA-006).
    pub issuer_anchor: TrustAnchor,
    /// A built-in mutant's switched-off rule; `None` in the reference.
    pub mutation: Option<crate::mutants::Mutation>,
}

/// One answered `good` query: who asked, about what, when.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UsageEntry {
    /// The verifier.
    pub rp_id: String,
    /// Its nonce.
    #[serde(with = "crate::codec::bstr::one")]
    pub nonce: Nonce,
    /// The certificate.
    #[serde(with = "crate::codec::bstr::one")]
    pub serial: Vec<u8>,
    /// When.
    pub time: UnixTime,
}

/// Everything that changes at Status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusState {
    /// Status of every mobile certificate, with its kind.
    pub entries: BTreeMap<Vec<u8>, (Kind, CertStatus)>,
    /// The usage log: every query answered `good`.
    pub usage_log: Vec<UsageEntry>,
    /// The notification outbox ("used").
    pub outbox: Vec<Notification>,
    /// (verifier, nonce, serial) already notified.
    pub notified: BTreeSet<NotifiedScope>,
    /// The sequence number of the last feed applied, per certificate (STA-008).
    pub sequences: BTreeMap<Vec<u8>, u64>,
    /// Each certificate's index in the status list (STL-001).
    pub list_index: BTreeMap<Vec<u8>, u64>,
}

/// A "used" notification's scope: (verifier, nonce, certificate).
pub type NotifiedScope = (String, Nonce, Vec<u8>);

/// The keyed lookups a Status transition makes (see [`crate::issuer::IssuerRecords`]).
pub trait StatusRecords {
    /// The kind and status held for a certificate.
    fn entry(&self, serial: &[u8]) -> Result<Option<(Kind, CertStatus)>>;
    /// The sequence number of the last feed applied for a certificate (0: none).
    fn sequence(&self, serial: &[u8]) -> Result<u64>;
    /// Whether this scope was notified already.
    fn notified(&self, scope: &NotifiedScope) -> Result<bool>;
    /// A certificate's status-list index (STL-001).
    fn list_index(&self, serial: &[u8]) -> Result<Option<u64>>;
    /// The index the next new certificate gets: one past the largest given, 0 for the first.
    fn next_list_index(&self) -> Result<u64>;
    /// The statuses of the certificates whose indices lie in `from .. from + count`.
    fn list_range(&self, from: u64, count: u64) -> Result<Vec<(u64, CertStatus)>>;
}

/// The writes one Status transition makes, applied in one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusWrites {
    /// Entries inserted or replaced.
    pub entries: BTreeMap<Vec<u8>, (Kind, CertStatus)>,
    /// Feed sequence numbers inserted or replaced.
    pub sequences: BTreeMap<Vec<u8>, u64>,
    /// Usage-log entries appended.
    pub usage_log: Vec<UsageEntry>,
    /// Notifications appended.
    pub outbox: Vec<Notification>,
    /// Scopes now notified.
    pub notified: BTreeSet<NotifiedScope>,
    /// Status-list indices given.
    pub list_index: BTreeMap<Vec<u8>, u64>,
}

impl StatusRecords for StatusState {
    fn entry(&self, serial: &[u8]) -> Result<Option<(Kind, CertStatus)>> {
        Ok(self.entries.get(serial).copied())
    }
    fn sequence(&self, serial: &[u8]) -> Result<u64> {
        Ok(self.sequences.get(serial).copied().unwrap_or(0))
    }
    fn notified(&self, scope: &NotifiedScope) -> Result<bool> {
        Ok(self.notified.contains(scope))
    }
    fn list_index(&self, serial: &[u8]) -> Result<Option<u64>> {
        Ok(self.list_index.get(serial).copied())
    }
    fn next_list_index(&self) -> Result<u64> {
        Ok(self.list_index.values().max().map_or(0, |last| last + 1))
    }
    fn list_range(&self, from: u64, count: u64) -> Result<Vec<(u64, CertStatus)>> {
        let within = |index: u64| index >= from && index - from < count;
        Ok(self
            .list_index
            .iter()
            .filter(|(_, index)| within(**index))
            .filter_map(|(serial, index)| self.entries.get(serial).map(|(_, status)| (*index, *status)))
            .collect())
    }
}

impl StatusState {
    /// Applies a transition's writes (the in-memory store's commit).
    pub fn apply(&mut self, writes: StatusWrites) {
        self.entries.extend(writes.entries);
        self.sequences.extend(writes.sequences);
        self.usage_log.extend(writes.usage_log);
        self.outbox.extend(writes.outbox);
        self.notified.extend(writes.notified);
        self.list_index.extend(writes.list_index);
    }
}

/// Applies one signed `StatusFeed` from the Issuer's back office: only one
/// signed by the Issuer (STA-006), never undoing a revocation or changing a
/// kind (STA-007), and only when newer than the last one applied for that
/// certificate (STA-008). The very feed applied last, again, changes nothing.
pub fn apply_feed(
    provider: &dyn CryptoProvider,
    config: &StatusConfig,
    view: &dyn StatusRecords,
    feed: &[u8],
    now: UnixTime,
) -> Result<StatusWrites> {
    use crate::mutants::Mutation;
    // the payload before its signer (ENC-018), signed by the Issuer (STA-006)
    let feed = open(feed, &Limits::V0, StatusFeed::from_bytes, |signed| {
        if !Mutation::TrustAnyFeedSigner.disables(config.mutation) {
            let chain = signed.x5chain()?;
            let issuer = validate_chain(provider, &chain, &config.issuer_anchor, Purpose::IssuerReceipts, now)?;
            signed.verify(provider, &issuer.public_key, b"")?;
        }
        Ok(())
    })?
    .payload;
    let held = view.entry(&feed.serial)?;
    let last = view.sequence(&feed.serial)?;
    if held == Some((feed.kind, feed.status))
        && last == feed.sequence
        && !Mutation::RefuseRetriedFeed.disables(config.mutation)
    {
        return Ok(StatusWrites::default());
    }
    // the certificate and each MSO identifier it lists, by the same rules (STA-007, STA-008, QUA-003)
    for serial in std::iter::once(&feed.serial).chain(&feed.aliases) {
        let Some((kind, status)) = view.entry(serial)? else { continue };
        let last = view.sequence(serial)?;
        let undoes = matches!(status, CertStatus::Revoked { .. }) && status != feed.status;
        if (kind != feed.kind || undoes) && !Mutation::FeedUndoesRevocation.disables(config.mutation) {
            return Err(Error::new(Code::FeedConflict, "the feed contradicts a revocation or changes the kind"));
        }
        if feed.sequence <= last && !Mutation::AcceptStaleFeed.disables(config.mutation) {
            return Err(Error::with_detail(
                Code::FeedStale,
                format!("feed {} is not newer than {last}", feed.sequence),
            ));
        }
    }
    let mut next = StatusWrites::default();
    let mut next_index = view.next_list_index()?;
    // the certificate and the qualification MSOs recorded with it, answered alike (QUA-003)
    for serial in std::iter::once(&feed.serial).chain(&feed.aliases) {
        // a certificate new to Status gets the next list index (STL-001)
        if view.list_index(serial)?.is_none() && !next.list_index.contains_key(serial) {
            next.list_index.insert(serial.clone(), next_index);
            next_index += 1;
        }
        let last = view.sequence(serial)?;
        next.sequences.insert(serial.clone(), feed.sequence.max(last));
        next.entries.insert(serial.clone(), (feed.kind, feed.status));
    }
    Ok(next)
}

/// Answers one signed StatusRequest (STA-001 … STA-005).
pub fn answer(
    provider: &dyn CryptoProvider,
    config: &StatusConfig,
    view: &dyn StatusRecords,
    request: &[u8],
    now: UnixTime,
) -> Result<(StatusWrites, Vec<u8>)> {
    // 1. the payload, then a verifier certificate that chains to the anchor (ENC-018, STA-001)
    let opened = open(request, &Limits::V0, StatusRequestPayload::from_bytes, |signed| {
        let verifier = validate_chain(provider, &signed.x5chain()?, &config.verifier_anchor, Purpose::Verifier, now)?;
        signed.verify(provider, &verifier.public_key, b"")?;
        Ok(verifier)
    })?;
    let (query, verifier) = (opened.payload, opened.signer);
    // 2. asks as itself, and about sign certs only when authorised (STA-002)
    let authorisation = !crate::mutants::Mutation::SkipRpAuthorisation.disables(config.mutation);
    if verifier.subject_attribute(oids::CN) != Some(query.rp_id.as_str()) && authorisation {
        return Err(Error::new(Code::NotAuthorised, "rp id is not the one in the verifier certificate"));
    }
    // 3. a certificate Status knows (STA-005)
    let unknown_good =
        crate::mutants::Mutation::UnknownAsGood.disables(config.mutation).then_some((Kind::Auth, CertStatus::Good));
    let (kind, status) =
        view.entry(&query.serial)?.or(unknown_good).ok_or(Error::new(Code::CertUnknown, "unknown serial"))?;
    if kind == Kind::Sign && verifier.verifier_may_check_sign != Some(true) && authorisation {
        return Err(Error::new(Code::NotAuthorised, "verifier not authorised for sign certificates"));
    }
    // 4. the signed answer, bound to the nonce, fresh for STATUS_FRESHNESS_SECS (STA-003)
    let payload = StatusResponsePayload {
        serial: query.serial.clone(),
        status,
        this_update: now,
        next_update: crate::time::later(now, STATUS_FRESHNESS_SECS)?,
        nonce: query.nonce,
        list_index: view.list_index(&query.serial)?,
    };
    let chain = [config.signer.cert.clone()];
    let response = sign1(
        provider,
        &config.signer.key.secret,
        &payload.to_bytes()?,
        &SignOptions { x5chain: &chain, external_aad: b"" },
    )?;
    // 5. one "used" notification per (verifier, nonce, cert), only for good (STA-004)
    let mut next = StatusWrites::default();
    let scope = (query.rp_id.clone(), query.nonce, query.serial.clone());
    let notified = view.notified(&scope)? && !crate::mutants::Mutation::NotifyEveryQuery.disables(config.mutation);
    if status == CertStatus::Good && !notified {
        next.usage_log.push(UsageEntry {
            rp_id: query.rp_id.clone(),
            nonce: query.nonce,
            serial: query.serial.clone(),
            time: now,
        });
        let key = crate::notify::dedup_key("used", &[query.rp_id.as_bytes(), &[0], &query.nonce, &query.serial]);
        let notification = Notification {
            event: Event::Used,
            certs: vec![query.serial.clone()],
            rp_id: Some(query.rp_id.clone()),
            time: now,
            key,
        };
        if !crate::mutants::Mutation::NoUseNotification.disables(config.mutation) {
            next.outbox.push(notification);
        }
        next.notified.insert(scope);
    }
    Ok((next, response))
}

/// Status's signed list for one chunk at `now` (STL-004): every certificate
/// whose index falls in it, at its status now; entries never given are 0.
/// It changes nothing at Status: a list read is not a use (STL-007).
pub fn publish_chunk(
    provider: &dyn CryptoProvider,
    config: &StatusConfig,
    view: &dyn StatusRecords,
    chunk: u64,
    now: UnixTime,
) -> Result<Vec<u8>> {
    use crate::constants::LIST_CHUNK_ENTRIES;
    use crate::status_list::{STATUS_BITS, StatusList, sign_chunk, value_of};
    let from = chunk.checked_mul(LIST_CHUNK_ENTRIES).ok_or(Error::new(Code::ListMismatch, "no such chunk"))?;
    let mut list = StatusList::new(STATUS_BITS, LIST_CHUNK_ENTRIES)?;
    let mirror = crate::mutants::Mutation::ListBitOrder.disables(config.mutation);
    for (index, status) in view.list_range(from, LIST_CHUNK_ENTRIES)? {
        let position = index - from;
        list.set(if mirror { list.mirrored(position) } else { position }, value_of(&status))?;
    }
    sign_chunk(provider, &config.signer, chunk, list, now)
}
