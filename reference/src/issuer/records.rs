//! The registry operations issuance, migration and revocation share: checks
//! that only read, and the commits that change several records in one step.

use super::store::{IssuerRecords, Scope, Tx, answers_kept_from};
use super::{IssuerConfig, IssuerOutput, MobileCertRecord, StoredAnswer, WipeRecord, WipeState};
use crate::codec::cose_sign1::{SignOptions, sign1};
use crate::constants::IDEMPOTENCY_RETENTION_SECS;
use crate::crypto::{CryptoProvider, Entropy};
use crate::error::{Code, Error, Result};
use crate::msgs::issuance::{IssuanceResponse, IssuedCert, KeyRequest};
use crate::msgs::lifecycle::{ReceiptAction, ReceiptEntry, ReceiptPayload, WipeCommandPayload};
use crate::msgs::status::{CertStatus, RevocationReason, StatusFeed};
use crate::msgs::{Digest, Kind, Message, Nonce};
use crate::mutants::Mutation;
use crate::notify::{Event, Notification};
use crate::pki::build::holder_subject;
use crate::pki::validate_chain;
use crate::pki::{
    CertRole, CertTemplate, HolderAttributes, NameAttribute, ParsedCert, Purpose, TrustAnchor, issue_certificate,
    mobile_not_after,
};
use crate::time::UnixTime;

/// The stored answer for an idempotency key, if this is a retry (ISS-006).
pub(super) fn replay(
    config: &IssuerConfig,
    view: &dyn IssuerRecords,
    scope: &Scope,
    body_digest: &Digest,
    now: UnixTime,
) -> Result<Option<Vec<u8>>> {
    if crate::mutants::Mutation::ForgetIdempotencyKey.disables(config.mutation) {
        return Ok(None);
    }
    // a record past its retention is gone, whether or not it was pruned yet (ISS-012)
    let kept = |stored: &&StoredAnswer| retained(config, stored, now);
    match view.answer(scope)?.as_ref().filter(kept) {
        Some(stored) if stored.body_digest == *body_digest => Ok(Some(stored.response.clone())),
        Some(_) => Err(Error::new(Code::IdempotencyConflict, "idempotency key reused with another request")),
        None => Ok(None),
    }
}

/// Whether an idempotency record is within its retention (ISS-012).
fn retained(config: &IssuerConfig, stored: &StoredAnswer, now: UnixTime) -> bool {
    stored.stored_at.saturating_add(IDEMPOTENCY_RETENTION_SECS) >= now
        || crate::mutants::Mutation::KeepIdempotencyForever.disables(config.mutation)
}

/// Stores an answer under its idempotency key, forgetting the records past
/// their retention: the map holds one retention period of requests (ISS-012).
pub(super) fn remember(config: &IssuerConfig, tx: &mut Tx<'_>, scope: Scope, answer: StoredAnswer) {
    if !crate::mutants::Mutation::KeepIdempotencyForever.disables(config.mutation) {
        tx.writes.prune.answers_stored_before = Some(answers_kept_from(answer.stored_at));
    }
    tx.writes.answers.insert(scope, answer);
}

/// The session of `nonce` is ours, open and in time (NON-001 … NON-003).
pub(super) fn check_session(view: &dyn IssuerRecords, nonce: &Nonce, now: UnixTime) -> Result<()> {
    let Some(session) = view.session(nonce)? else {
        if Mutation::AcceptUnknownNonce.disables(None) {
            return Ok(());
        }
        return Err(Error::new(Code::NonceUnknown, "no such session"));
    };
    if session.completed {
        return Err(Error::new(Code::NonceReused, "session already completed"));
    }
    let at_expiry_refused = Mutation::NonceExpiryExclusive.disables(None) && now == session.expiry;
    if (now > session.expiry && !Mutation::SkipNonceExpiry.disables(None)) || at_expiry_refused {
        return Err(Error::new(Code::NonceExpired, "session expired"));
    }
    Ok(())
}

fn untrusted(detail: impl Into<String>) -> Error {
    Error::with_detail(Code::AttestationUntrusted, detail)
}

/// Each key attested by the platform: in SE, UV required, this nonce, this
/// key, all for one device, whose id is returned (ISS-003).
pub(super) fn check_attestations(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    keys: &[KeyRequest],
    nonce: &Nonce,
    now: UnixTime,
) -> Result<Digest> {
    // one SE key, one kind (ISS-011)
    let shared = keys.iter().enumerate().any(|(i, a)| keys[i + 1..].iter().any(|b| a.key == b.key));
    if shared && !crate::mutants::Mutation::OneKeyTwoKinds.disables(config.mutation) {
        return Err(Error::new(Code::DuplicateKey, "one key offered for two kinds"));
    }
    let mut device = None;
    for request in keys {
        let leaf = attested_under_any(provider, &request.attestation, &config.platform_anchors, now)
            .map_err(|e| untrusted(format!("attestation chain: {e}")))?;
        let facts = leaf.key_attestation.as_ref().ok_or(untrusted("no attestation extension"))?;
        if !facts.in_secure_element || !facts.user_verification_required {
            return Err(untrusted("key not in a secure element, or UV not required"));
        }
        if facts.challenge != nonce.as_slice() {
            return Err(untrusted("attestation answers another challenge"));
        }
        if leaf.public_key != request.key {
            return Err(untrusted("attestation is for another key"));
        }
        let this_device = provider.sha256(&leaf.subject_name);
        if device.is_some_and(|d| d != this_device) {
            return Err(untrusted("keys attested for different devices"));
        }
        device = Some(this_device);
    }
    device.ok_or(Error::new(Code::Malformed, "no keys requested"))
}

/// The refusal for using a certificate in `status` to act (MIG-004, PKI-012, PKI-013).
pub(super) fn refuse_inactive(status: &CertStatus) -> Result<()> {
    match status {
        CertStatus::Good => Ok(()),
        CertStatus::Suspended => Err(Error::new(Code::CertSuspended, "certificate on hold")),
        CertStatus::Revoked { reason: RevocationReason::Superseded, .. } => {
            Err(Error::new(Code::MigrationConflict, "already superseded by another migration"))
        }
        CertStatus::Revoked { .. } => Err(Error::new(Code::CertRevoked, "certificate revoked")),
    }
}

/// Every replaced certificate is the holder's (on `device`, when given) and
/// still active (MIG-002, MIG-004).
pub(super) fn check_replaced(
    view: &dyn IssuerRecords,
    holder: &[u8],
    device: Option<Digest>,
    replaces: &[Vec<u8>],
) -> Result<()> {
    for serial in replaces {
        let record = view.cert(serial)?.ok_or(Error::new(Code::NotOwner, "no such certificate"))?;
        if record.holder != holder || device.is_some_and(|d| d != record.device) {
            return Err(Error::new(Code::NotOwner, "not this holder's (or this device's) certificate"));
        }
        if !Mutation::ReplaceInactive.disables(None) {
            refuse_inactive(&record.status)?;
        }
    }
    Ok(())
}

/// At most one device holds a live certificate of a kind (ISS-004, ISS-005),
/// counting what this request replaces as gone.
pub(super) fn check_one_device_per_kind(
    view: &dyn IssuerRecords,
    holder: &[u8],
    device: Digest,
    keys: &[KeyRequest],
    replaces: &[Vec<u8>],
) -> Result<()> {
    let certs = view.holder_certs(holder)?;
    for request in keys {
        let live = certs.iter().find(|(serial, c)| {
            c.kind == request.kind
                && matches!(c.status, CertStatus::Good | CertStatus::Suspended)
                && !replaces.contains(serial)
        });
        match live {
            Some((_, c)) if c.device != device => return Err(Error::new(Code::ActiveElsewhere, "use migration")),
            Some(_) => return Err(Error::new(Code::AlreadyActive, "already issued on this device")),
            None => {}
        }
    }
    Ok(())
}

/// What one issuance or migration commits.
pub(super) struct Commit<'a> {
    pub holder: &'a [u8],
    pub device: Digest,
    pub keys: &'a [KeyRequest],
    pub attributes: &'a HolderAttributes,
    pub card_not_after: UnixTime,
    pub replaces: &'a [Vec<u8>],
    pub nonce: &'a Nonce,
    pub notification_address: &'a str,
    pub event: Event,
    pub origin: super::Origin,
    /// Keys for qualification MSOs, recorded with the `auth` certificate (QUA-002).
    pub qualification: &'a [crate::msgs::issuance::QualificationKey],
}

fn fresh_serial(entropy: &mut dyn Entropy) -> Vec<u8> {
    let mut serial = vec![0u8; 16];
    entropy.fill(&mut serial);
    serial[0] = (serial[0] & 0x7f) | 0x40;
    serial
}

/// Revokes `serial` at `at` unless it already is (terminal: reason and
/// time never change, REV-002); returns the feed message when it changed.
pub(super) fn revoke(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    tx: &mut Tx<'_>,
    serial: &[u8],
    reason: RevocationReason,
    at: UnixTime,
) -> Result<Option<Vec<u8>>> {
    let Some(mut record) = tx.cert(serial)? else { return Ok(None) };
    if matches!(record.status, CertStatus::Revoked { .. }) {
        return Ok(None);
    }
    record.status = CertStatus::Revoked { reason, at };
    let (kind, status, aliases) = (record.kind, record.status, later_aliases(config, &record));
    tx.put_cert(serial, record);
    Ok(Some(feed_message(provider, config, tx, serial, kind, status, aliases)?))
}

/// Sets `serial`'s status to `status` (suspension, resumption).
pub(super) fn set_status(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    tx: &mut Tx<'_>,
    serial: &[u8],
    status: CertStatus,
) -> Result<Vec<u8>> {
    let mut record = tx.cert(serial)?.ok_or(Error::new(Code::CertUnknown, "no such certificate"))?;
    record.status = status;
    let (kind, aliases) = (record.kind, later_aliases(config, &record));
    tx.put_cert(serial, record);
    feed_message(provider, config, tx, serial, kind, status, aliases)
}

/// The status identifiers a feed after issuance lists for `record` (QUA-003).
fn later_aliases(config: &IssuerConfig, record: &MobileCertRecord) -> Vec<Vec<u8>> {
    if crate::mutants::Mutation::MdocOutlivesRevocation.disables(config.mutation) {
        return Vec::new();
    }
    record.mdocs.clone()
}

/// The signed StatusFeed telling Status a certificate's new status, under
/// the next feed sequence number (STA-006, STA-008).
pub(super) fn feed_message(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    tx: &mut Tx<'_>,
    serial: &[u8],
    kind: Kind,
    status: CertStatus,
    aliases: Vec<Vec<u8>>,
) -> Result<Vec<u8>> {
    let sequence = tx.next_feed_sequence()?;
    let feed = StatusFeed { serial: serial.to_vec(), kind, status, sequence, aliases };
    signed_by_issuer(provider, config, &feed.to_bytes()?)
}

/// Writes one notification.
pub(super) fn notify(tx: &mut Tx<'_>, event: Event, certs: Vec<Vec<u8>>, now: UnixTime, key: Vec<u8>) {
    tx.notify(Notification { event, certs, rp_id: None, time: now, key });
}

/// A COSE_Sign1 by the Issuer's receipts key.
pub(super) fn signed_by_issuer(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    payload: &[u8],
) -> Result<Vec<u8>> {
    let chain = [config.receipts.cert.clone()];
    sign1(provider, &config.receipts.key.secret, payload, &SignOptions { x5chain: &chain, external_aad: b"" })
}

/// A signed receipt for revoked certificates.
pub(super) fn receipt(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    view: &dyn IssuerRecords,
    action: ReceiptAction,
    serials: &[Vec<u8>],
    now: UnixTime,
    device: Option<Digest>,
) -> Result<Vec<u8>> {
    let mut entries = Vec::new();
    for serial in serials {
        let record = view.cert(serial)?.ok_or(Error::new(Code::CertUnknown, "no such certificate"))?;
        entries.push(ReceiptEntry { serial: serial.clone(), status: record.status });
    }
    let payload = ReceiptPayload { action, entries, time: now, device }.to_bytes()?;
    signed_by_issuer(provider, config, &payload)
}

/// Queues a signed wipe command for `device` (REV-005).
pub(super) fn queue_wipe(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    tx: &mut Tx<'_>,
    device: Digest,
    serials: Vec<Vec<u8>>,
    entropy: &mut dyn Entropy,
    now: UnixTime,
) -> Result<()> {
    let mut command_id = [0u8; 16];
    entropy.fill(&mut command_id);
    let payload = WipeCommandPayload { command_id, serials: serials.clone(), time: now }.to_bytes()?;
    let command = signed_by_issuer(provider, config, &payload)?;
    tx.put_wipe(command_id, WipeRecord { device, serials, command, state: WipeState::Queued });
    Ok(())
}

/// Issues the certificates of `commit`, supersedes what it replaces (same
/// instant), queues the wipe of the old device, completes the session and
/// writes one notification, all in one step (ISS-009, MIG-003).
pub(super) fn commit_issuance(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    tx: &mut Tx<'_>,
    commit: &Commit<'_>,
    entropy: &mut dyn Entropy,
    now: UnixTime,
) -> Result<IssuerOutput> {
    let not_after = mobile_not_after(commit.attributes.date_of_birth, now, commit.card_not_after);
    // the replaced certificates as they stood before this step
    let mut before = Vec::new();
    for serial in commit.replaces {
        before.push(tx.cert(serial)?);
    }
    let mut issued = Vec::new();
    let mut issued_mdocs = Vec::new();
    let mut feed = Vec::new();
    let mut serials = Vec::new();
    for request in commit.keys {
        let serial = fresh_serial(entropy);
        let (subject, purpose) = match request.kind {
            Kind::Sign => (holder_subject(commit.attributes), Purpose::MobileSign),
            Kind::Auth => (vec![NameAttribute::common_name("JPKI mobile auth")], Purpose::MobileAuth),
        };
        let template = CertTemplate {
            serial: serial.clone(),
            subject,
            not_before: now,
            not_after,
            public_key: request.key.clone(),
            role: CertRole::Leaf(purpose),
            extra_extensions: vec![],
        };
        let cert = issue_certificate(provider, &template, config.mobile_root.as_issuer())?;
        // the qualification MSOs go with the auth certificate (QUA-002, QUA-003)
        let mut mdocs = Vec::new();
        if request.kind == Kind::Auth {
            for key in commit.qualification {
                let mut status_id = vec![0u8; 16];
                entropy.fill(&mut status_id);
                let terms = crate::mdoc::mso::MsoTerms {
                    signer: &config.document_signer,
                    device_key: &key.key,
                    eligibility: &config.eligibility,
                    status_id: &status_id,
                    now,
                    valid_until: crate::time::later(now, crate::constants::MSO_LIFETIME_SECS)?.min(not_after),
                };
                issued_mdocs.push(crate::mdoc::mso::issue(provider, &terms, entropy)?);
                mdocs.push(status_id);
            }
        }
        tx.put_cert(
            &serial,
            MobileCertRecord {
                holder: commit.holder.to_vec(),
                kind: request.kind,
                device: commit.device,
                issued_at: now,
                not_after,
                status: CertStatus::Good,
                origin: commit.origin.clone(),
                mdocs: mdocs.clone(),
            },
        );
        feed.push(feed_message(provider, config, tx, &serial, request.kind, CertStatus::Good, mdocs)?);
        issued.push(IssuedCert { kind: request.kind, cert });
        serials.push(serial);
    }
    // the old certificates end at the new ones' issue time, and their device is wiped
    let mut old_devices = Vec::new();
    let keep_old = crate::mutants::Mutation::OldDeviceStaysActive.disables(config.mutation);
    let replaces: &[Vec<u8>] = if keep_old { &[] } else { commit.replaces };
    for serial in replaces {
        if let Some(Some(record)) = commit.replaces.iter().position(|s| s == serial).map(|i| &before[i]) {
            if !old_devices.contains(&record.device) {
                old_devices.push(record.device);
            }
        }
        feed.extend(revoke(provider, config, tx, serial, RevocationReason::Superseded, now)?);
    }
    for device in old_devices {
        let on_device: Vec<Vec<u8>> = commit
            .replaces
            .iter()
            .zip(&before)
            .filter(|(_, record)| record.as_ref().is_some_and(|r| r.device == device))
            .map(|(serial, _)| serial.clone())
            .collect();
        queue_wipe(provider, config, tx, device, on_device, entropy, now)?;
    }
    if let Some(mut session) = tx.session(commit.nonce)? {
        session.completed = true;
        tx.put_session(*commit.nonce, session);
    }
    if let Some(mut card) = tx.card(commit.holder)? {
        card.notification_address = Some(commit.notification_address.to_owned());
        card.attributes = Some(commit.attributes.clone());
        tx.put_card(commit.holder, card);
    }
    let mut certs = serials.clone();
    certs.extend(commit.replaces.iter().cloned());
    let key = crate::notify::dedup_key("issuance", &[commit.nonce]);
    notify(tx, commit.event, certs, now, key);
    let response = IssuanceResponse { certs: issued, mdocs: issued_mdocs }.to_bytes()?;
    Ok(IssuerOutput { response, status_feed: feed })
}

/// The attestation's leaf, validated under the first of `anchors` its chain
/// reaches; the first anchor's refusal when it reaches none.
fn attested_under_any(
    provider: &dyn CryptoProvider,
    chain: &[Vec<u8>],
    anchors: &[TrustAnchor],
    now: UnixTime,
) -> Result<ParsedCert> {
    let mut first_refusal = None;
    for anchor in anchors {
        match validate_chain(provider, chain, anchor, Purpose::KeyAttestation, now) {
            Ok(leaf) => return Ok(leaf),
            Err(e) => {
                first_refusal.get_or_insert(e);
            }
        }
    }
    Err(first_refusal.unwrap_or_else(|| Error::new(Code::UntrustedChain, "no platform attestation root is trusted")))
}
