//! The issuance flow at the Issuer (spec/protocol.md, "Issuance"): steps
//! numbered after the ISS requirements.

use super::{IssuerConfig, IssuerOutput, IssuerState, MobileCertRecord, Session, StoredAnswer};
use crate::codec::Limits;
use crate::codec::cose_sign1::decode_sign1;
use crate::constants::NONCE_LIFETIME_SECS;
use crate::crypto::{CryptoProvider, Entropy};
use crate::error::{Code, Error, Result};
use crate::msgs::issuance::{IssuanceChallenge, IssuanceRequest, IssuanceRequestPayload, IssuanceResponse, IssuedCert};
use crate::msgs::status::{CertStatus, StatusFeed};
use crate::msgs::{Kind, Message};
use crate::notify::{Event, Notification};
use crate::pki::build::holder_subject;
use crate::pki::validate_chain;
use crate::pki::{CertRole, CertTemplate, NameAttribute, ParsedCert, Purpose, issue_certificate, mobile_not_after};
use crate::time::UnixTime;

/// The idempotency scope of this endpoint.
const ENDPOINT: &str = "issuance";

/// Opens an issuance session: a fresh nonce, answerable until `now + NONCE_LIFETIME_SECS`.
pub fn challenge(state: &IssuerState, entropy: &mut dyn Entropy, now: UnixTime) -> Result<(IssuerState, Vec<u8>)> {
    let mut nonce = [0u8; 32];
    entropy.fill(&mut nonce);
    let expiry = now + NONCE_LIFETIME_SECS;
    let mut next = state.clone();
    next.sessions.insert(nonce, Session { expiry, completed: false });
    Ok((next, IssuanceChallenge { nonce, expiry }.to_bytes()?))
}

/// A card signature checked: the leaf certificate and the signed payload.
fn card_signature(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    bytes: &[u8],
    purpose: Purpose,
    now: UnixTime,
) -> Result<(ParsedCert, Vec<u8>)> {
    let sign1 = decode_sign1(bytes, &Limits::V0)?;
    let leaf = validate_chain(provider, &sign1.x5chain()?, &config.card_anchor, purpose, now)?;
    sign1.verify(provider, &leaf.public_key, b"")?;
    Ok((leaf, sign1.payload().to_vec()))
}

fn untrusted(detail: impl Into<String>) -> Error {
    Error::with_detail(Code::AttestationUntrusted, detail)
}

/// Issues mobile certificates for a card-signed IssuanceRequest.
///
/// A refusal returns an error and no state: nothing changed (ISS-008).
pub fn issue(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    state: &IssuerState,
    request: &[u8],
    entropy: &mut dyn Entropy,
    now: UnixTime,
) -> Result<(IssuerState, IssuerOutput)> {
    // 1. the envelope and both card signatures over the same payload (ISS-001)
    let envelope = IssuanceRequest::from_bytes(request)?;
    let (sign_cert, payload) = card_signature(provider, config, &envelope.signed_by_sign_key, Purpose::CardSign, now)?;
    let (auth_cert, auth_payload) =
        card_signature(provider, config, &envelope.signed_by_auth_key, Purpose::CardAuth, now)?;
    if payload != auth_payload {
        return Err(Error::new(Code::Malformed, "the two card signatures cover different payloads"));
    }
    // 2. both certificates belong to one registered card (ISS-002), neither revoked (PKI-012)
    let holder = auth_cert.serial.clone();
    let card = state.cards.get(&holder).ok_or(Error::new(Code::CardMismatch, "card not registered"))?;
    if card.sign_serial != sign_cert.serial {
        return Err(Error::new(Code::CardMismatch, "sign and auth certificates are of different cards"));
    }
    if card.sign_revoked || card.auth_revoked {
        return Err(Error::new(Code::CertRevoked, "a card certificate is revoked"));
    }
    let payload_bytes = payload;
    let payload = IssuanceRequestPayload::from_bytes(provider, &payload_bytes)?;
    // 3. idempotency first, so a retry gets its stored answer, never nonce_reused (ISS-006)
    let idempotency_scope = (ENDPOINT.to_owned(), holder.clone(), payload.idempotency_key);
    let body_digest = provider.sha256(&payload_bytes);
    if let Some(stored) = state.idempotency.get(&idempotency_scope) {
        if stored.body_digest == body_digest {
            return Ok((state.clone(), IssuerOutput { response: stored.response.clone(), status_feed: vec![] }));
        }
        return Err(Error::new(Code::IdempotencyConflict, "idempotency key reused with another request"));
    }
    // 4. the nonce: ours, unused, unexpired (NON-001 … NON-003)
    let session =
        state.sessions.get(&payload.nonce).ok_or(Error::new(Code::NonceUnknown, "no such issuance session"))?;
    if session.completed {
        return Err(Error::new(Code::NonceReused, "issuance session already completed"));
    }
    if now > session.expiry {
        return Err(Error::new(Code::NonceExpired, "issuance session expired"));
    }
    // 5. each key attested by the platform: in SE, UV required, this nonce, this key, one device (ISS-003)
    let mut device = None;
    for request in &payload.keys {
        let leaf =
            validate_chain(provider, &request.attestation, &config.platform_anchor, Purpose::KeyAttestation, now)
                .map_err(|e| untrusted(format!("attestation chain: {e}")))?;
        let facts = leaf.key_attestation.as_ref().ok_or(untrusted("no attestation extension"))?;
        if !facts.in_secure_element || !facts.user_verification_required {
            return Err(untrusted("key not in a secure element, or UV not required"));
        }
        if facts.challenge != payload.nonce {
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
    let device = device.ok_or(Error::new(Code::Malformed, "no keys requested"))?;
    // 6. at most one device holds an active cert of a kind (ISS-004, ISS-005)
    for request in &payload.keys {
        let active = state.certs.values().find(|c| {
            c.holder == holder && c.kind == request.kind && matches!(c.status, CertStatus::Good | CertStatus::Suspended)
        });
        match active {
            Some(c) if c.device != device => return Err(Error::new(Code::ActiveElsewhere, "use migration")),
            Some(_) => return Err(Error::new(Code::AlreadyActive, "already issued on this device")),
            None => {}
        }
    }
    // 7. issue: validity to the 5th birthday after issue, capped by the card (PKI-010)
    let attributes =
        sign_cert.holder_attributes().ok_or(Error::new(Code::CertMalformed, "card sign cert lacks attributes"))?;
    let not_after = mobile_not_after(attributes.date_of_birth, now, sign_cert.not_after.min(auth_cert.not_after));
    let mut next = state.clone();
    let mut issued = Vec::new();
    let mut feed = Vec::new();
    let mut serials = Vec::new();
    for request in &payload.keys {
        let mut serial = vec![0u8; 16];
        entropy.fill(&mut serial);
        serial[0] = (serial[0] & 0x7f) | 0x40;
        let (subject, purpose) = match request.kind {
            Kind::Sign => (holder_subject(&attributes), Purpose::MobileSign),
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
        next.certs.insert(
            serial.clone(),
            MobileCertRecord {
                holder: holder.clone(),
                kind: request.kind,
                device,
                issued_at: now,
                not_after,
                status: CertStatus::Good,
            },
        );
        feed.push(StatusFeed { serial: serial.clone(), kind: request.kind, status: CertStatus::Good }.to_bytes()?);
        issued.push(IssuedCert { kind: request.kind, cert });
        serials.push(serial);
    }
    let response = IssuanceResponse { certs: issued }.to_bytes()?;
    // 8. one step: session completed, answer stored, notification written (ISS-006, ISS-009)
    if let Some(session) = next.sessions.get_mut(&payload.nonce) {
        session.completed = true;
    }
    if let Some(card) = next.cards.get_mut(&holder) {
        card.notification_address = Some(payload.notification_address.clone());
    }
    next.idempotency.insert(idempotency_scope, StoredAnswer { body_digest, response: response.clone() });
    let mut key = b"issued:".to_vec();
    key.extend_from_slice(&payload.nonce);
    next.outbox.push(Notification { event: Event::Issued, certs: serials, rp_id: None, time: now, key });
    Ok((next, IssuerOutput { response, status_feed: feed }))
}
