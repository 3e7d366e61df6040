//! The issuance flow at the Issuer (spec/issuance.md), with migration path B
//! (the card authorises re-issuance that supersedes a lost device's
//! certificates, spec/lifecycle.md). Steps are numbered after the spec.

use super::records::{self, Commit};
use super::store::{IssuerRecords, IssuerWrites, Tx, sessions_kept_from};
use super::{IssuerConfig, IssuerOutput, Session, StoredAnswer};
use crate::codec::Limits;
use crate::codec::cose_sign1::{Sign1, decode_sign1};
use crate::constants::{MAX_OPEN_NONCES, NONCE_LIFETIME_SECS};
use crate::crypto::{CryptoProvider, Entropy};
use crate::error::{Code, Error, Result};
use crate::msgs::Message;
use crate::msgs::issuance::{IssuanceChallenge, IssuanceRequest, IssuanceRequestPayload};
use crate::notify::Event;
use crate::pki::{ParsedCert, Purpose, validate_chain};
use crate::time::UnixTime;

/// The idempotency scope of this endpoint.
const ENDPOINT: &str = "issuance";

/// Opens an issuance (or migration) session: a fresh nonce, answerable
/// until `now + NONCE_LIFETIME_SECS`.
pub fn challenge(
    config: &IssuerConfig,
    view: &dyn IssuerRecords,
    entropy: &mut dyn Entropy,
    now: UnixTime,
) -> Result<(IssuerWrites, Vec<u8>)> {
    let expiry = crate::time::later(now, NONCE_LIFETIME_SECS)?;
    // hold at most MAX_OPEN_NONCES open sessions (NON-004), and forget long-expired ones
    let open = view.open_sessions(now)?;
    if open >= MAX_OPEN_NONCES && !crate::mutants::Mutation::UnboundedNonces.disables(config.mutation) {
        return Err(Error::new(Code::TooManyOpenNonces, "too many open issuance sessions"));
    }
    let mut tx = Tx::new(view);
    tx.writes.prune.sessions_expired_before = Some(sessions_kept_from(now));
    let mut nonce = [0u8; 32];
    entropy.fill(&mut nonce);
    tx.put_session(nonce, Session { expiry, completed: false });
    Ok((tx.writes, IssuanceChallenge { nonce, expiry }.to_bytes()?))
}

/// A card's signature checked: its chain to the card root for `purpose`,
/// then the signature itself; returns the card certificate.
pub(super) fn card_signer(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    signed: &Sign1,
    purpose: Purpose,
    now: UnixTime,
) -> Result<ParsedCert> {
    let leaf = validate_chain(provider, &signed.x5chain()?, &config.card_anchor, purpose, now)?;
    signed.verify(provider, &leaf.public_key, b"")?;
    Ok(leaf)
}

/// Issues mobile certificates for a card-signed IssuanceRequest; with
/// `replaces`, a migration that supersedes those certificates in the same step.
///
/// A refusal returns an error and no writes: nothing changed (ISS-008).
pub fn issue(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    view: &dyn IssuerRecords,
    request: &[u8],
    entropy: &mut dyn Entropy,
    now: UnixTime,
) -> Result<(IssuerWrites, IssuerOutput)> {
    // 1. the envelope, both COSE_Sign1 and the one payload they carry, before
    // any signer is looked at (ENC-018, ISS-001)
    let envelope = IssuanceRequest::from_bytes(request)?;
    let by_sign_key = decode_sign1(&envelope.signed_by_sign_key, &Limits::V0)?;
    let by_auth_key = decode_sign1(&envelope.signed_by_auth_key, &Limits::V0)?;
    let payload_bytes = by_sign_key.payload().to_vec();
    let payload = IssuanceRequestPayload::from_bytes(provider, &payload_bytes)?;
    if by_auth_key.payload() != payload_bytes {
        return Err(Error::new(Code::Malformed, "the two card signatures cover different payloads"));
    }
    // then both card signatures (ISS-001)
    let sign_cert = card_signer(provider, config, &by_sign_key, Purpose::CardSign, now)?;
    let auth_cert = card_signer(provider, config, &by_auth_key, Purpose::CardAuth, now)?;
    // 2. both certificates belong to one registered card (ISS-002), neither revoked (PKI-012)
    let holder = auth_cert.serial.clone();
    let card = view.card(&holder)?.ok_or(Error::new(Code::CardMismatch, "card not registered"))?;
    if card.sign_serial != sign_cert.serial {
        return Err(Error::new(Code::CardMismatch, "sign and auth certificates are of different cards"));
    }
    let revoked = card.sign_revoked || card.auth_revoked;
    if revoked && !crate::mutants::Mutation::AcceptRevokedCardCert.disables(config.mutation) {
        return Err(Error::new(Code::CertRevoked, "a card certificate is revoked"));
    }
    // 3. idempotency first, so a retry gets its stored answer, never nonce_reused (ISS-006)
    let scope = (ENDPOINT.to_owned(), holder.clone(), payload.idempotency_key);
    let body_digest = provider.sha256(&payload_bytes);
    if let Some(stored) = records::replay(config, view, &scope, &body_digest, now)? {
        return Ok((IssuerWrites::default(), IssuerOutput { response: stored, status_feed: vec![] }));
    }
    // 4. the nonce: ours, unused, unexpired (NON-001 … NON-003)
    records::check_session(view, &payload.nonce, now)?;
    // 5. each key attested by the platform for one device, answering this nonce (ISS-003),
    // the qualification keys too, none repeating another, and only with `auth` (QUA-001)
    let wants_auth = payload.keys.iter().any(|k| k.kind == crate::msgs::Kind::Auth);
    if !payload.qualification.is_empty() && !wants_auth {
        return Err(Error::new(Code::Malformed, "qualification keys come only with an auth key"));
    }
    let mut attested = payload.keys.clone();
    attested.extend(payload.qualification.iter().map(|q| crate::msgs::issuance::KeyRequest {
        kind: crate::msgs::Kind::Auth,
        key: q.key.clone(),
        attestation: q.attestation.clone(),
    }));
    let device = records::check_attestations(provider, config, &attested, &payload.nonce, now)?;
    // 6. what it replaces (MIG-002, MIG-004), then one device per kind (ISS-004, ISS-005)
    records::check_replaced(view, &holder, None, &payload.replaces)?;
    records::check_one_device_per_kind(view, &holder, device, &payload.keys, &payload.replaces)?;
    // 7. commit: issue, supersede, queue the wipe, notify, in one step (ISS-007, ISS-009, MIG-003)
    let attributes =
        sign_cert.holder_attributes().ok_or(Error::new(Code::CertMalformed, "card sign cert lacks attributes"))?;
    let commit = Commit {
        holder: &holder,
        device,
        keys: &payload.keys,
        attributes: &attributes,
        card_not_after: sign_cert.not_after.min(auth_cert.not_after),
        replaces: &payload.replaces,
        nonce: &payload.nonce,
        notification_address: &payload.notification_address,
        event: if payload.replaces.is_empty() { Event::Issued } else { Event::Migrated },
        origin: super::Origin::Card,
        qualification: &payload.qualification,
    };
    let mut tx = Tx::new(view);
    let output = records::commit_issuance(provider, config, &mut tx, &commit, entropy, now)?;
    records::remember(
        config,
        &mut tx,
        scope,
        StoredAnswer { body_digest, response: output.response.clone(), stored_at: now },
    );
    Ok((tx.writes, output))
}
