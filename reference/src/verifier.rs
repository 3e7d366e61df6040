//! The Verifier (a relying party): makes use requests, checks assertions
//! locally, asks Status once per use, and only then accepts, consuming the
//! nonce and recording the counter in the same step (USE-001 … USE-013).
//!
//! The flow follows webauthn-rs's shape: [`request`] returns the message and
//! the new state; [`check_assertion`] returns a [`PendingUse`] the caller
//! holds (no state changes) plus the StatusRequest to send; [`complete`]
//! takes Status's answer and commits.

use std::collections::BTreeMap;

use crate::codec::Limits;
use crate::codec::cose_sign1::{SignOptions, decode_sign1, open, sign1};
use crate::constants::{CLOCK_SKEW_SECS, MAX_OPEN_NONCES, NONCE_LIFETIME_SECS, STATUS_FRESHNESS_SECS};
use crate::crypto::{CryptoProvider, Entropy};
use crate::error::{Code, Error, Result};
use crate::msgs::error_msg::ErrorMessage;
use crate::msgs::status::{CertStatus, StatusRequestPayload, StatusResponsePayload};
use crate::msgs::usage::{AssertionPayload, UseRequest, transcript_hash};
use crate::msgs::{Digest, Kind, Message, Nonce, UvMethod};
use crate::mutants::Mutation;
use crate::pki::{Credential, Purpose, TrustAnchor, validate_chain};
use crate::time::UnixTime;

/// What a verifier is configured with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierConfig {
    /// Its rp id (the commonName of its certificate).
    pub rp_id: String,
    /// Its key and verifier certificate (signs status requests).
    pub credential: Credential,
    /// Trust anchor for mobile certificates and the status signer.
    pub mobile_anchor: TrustAnchor,
    /// A built-in mutant's switched-off rule; `None` in the reference.
    pub mutation: Option<Mutation>,
}

/// A nonce this verifier issued: `issued → consumed | expired`.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct IssuedNonce {
    /// The request it was issued in.
    pub request: UseRequest,
    /// When it stops being answerable.
    pub expiry: UnixTime,
    /// Whether an accepted use consumed it.
    pub consumed: bool,
    /// For a qualification reading (QUA-008): the elements asked for. The
    /// session's `request` is then recorded as an `auth` request with the
    /// purpose [`MDOC_PURPOSE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mdoc_elements: Option<Vec<String>>,
}

/// The purpose recorded for a qualification reading's session.
pub const MDOC_PURPOSE: &str = "qualification";

/// Everything that changes at a verifier.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifierState {
    /// Issued nonces.
    pub nonces: BTreeMap<Nonce, IssuedNonce>,
    /// The last counter seen per mobile certificate serial.
    pub counters: BTreeMap<Vec<u8>, u32>,
}

/// An assertion that passed every local check, waiting for Status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingUse {
    /// The nonce it answers.
    pub nonce: Nonce,
    /// The mobile certificate's serial.
    pub serial: Vec<u8>,
    /// The counter it carries.
    pub counter: u32,
    /// Its kind.
    pub kind: Kind,
    /// The document digest, for `sign`.
    pub document_digest: Option<Digest>,
}

/// What Status said, or that it could not be reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusAnswer {
    /// A StatusResponse (COSE_Sign1).
    Response(Vec<u8>),
    /// An Error message from Status.
    Refused(Vec<u8>),
    /// No answer: network down, timeout.
    Unreachable,
}

/// The keyed lookups a verifier transition makes (see [`crate::issuer::IssuerRecords`]).
pub trait VerifierRecords {
    /// A nonce this verifier issued.
    fn nonce(&self, nonce: &Nonce) -> Result<Option<IssuedNonce>>;
    /// How many nonces are open (not consumed, not expired) at `now`.
    fn open_nonces(&self, now: UnixTime) -> Result<usize>;
    /// The last counter seen for a certificate.
    fn counter(&self, serial: &[u8]) -> Result<Option<u32>>;
    /// Any one issued nonce (only a built-in mutant asks: it takes any nonce as its own).
    fn any_nonce(&self) -> Result<Option<IssuedNonce>>;
}

/// The writes one verifier transition makes, applied in one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifierWrites {
    /// Nonces inserted or replaced.
    pub nonces: BTreeMap<Nonce, IssuedNonce>,
    /// Counters inserted or replaced.
    pub counters: BTreeMap<Vec<u8>, u32>,
    /// Forget nonces whose expiry is before this.
    pub forget_expired_before: Option<UnixTime>,
}

impl VerifierRecords for VerifierState {
    fn nonce(&self, nonce: &Nonce) -> Result<Option<IssuedNonce>> {
        Ok(self.nonces.get(nonce).cloned())
    }
    fn open_nonces(&self, now: UnixTime) -> Result<usize> {
        Ok(self.nonces.values().filter(|n| !n.consumed && n.expiry >= now).count())
    }
    fn counter(&self, serial: &[u8]) -> Result<Option<u32>> {
        Ok(self.counters.get(serial).copied())
    }
    fn any_nonce(&self) -> Result<Option<IssuedNonce>> {
        Ok(self.nonces.values().next().cloned())
    }
}

impl VerifierState {
    /// Applies a transition's writes (the in-memory store's commit).
    pub fn apply(&mut self, writes: VerifierWrites) {
        if let Some(before) = writes.forget_expired_before {
            self.nonces.retain(|_, n| n.expiry >= before);
        }
        self.nonces.extend(writes.nonces);
        self.counters.extend(writes.counters);
    }
}

/// Makes a UseRequest with a fresh nonce.
pub fn request(
    config: &VerifierConfig,
    view: &dyn VerifierRecords,
    kind: Kind,
    purpose: &str,
    document_digest: Option<Digest>,
    entropy: &mut dyn Entropy,
    now: UnixTime,
) -> Result<(VerifierWrites, Vec<u8>)> {
    let expiry = crate::time::later(now, NONCE_LIFETIME_SECS)?;
    // hold at most MAX_OPEN_NONCES open nonces (NON-004), and forget long-expired ones
    let open = view.open_nonces(now)?;
    if open >= MAX_OPEN_NONCES && !Mutation::UnboundedNonces.disables(config.mutation) {
        return Err(Error::new(Code::TooManyOpenNonces, "too many open nonces"));
    }
    let mut nonce = [0u8; 32];
    entropy.fill(&mut nonce);
    let request =
        UseRequest { rp_id: config.rp_id.clone(), nonce, purpose: purpose.into(), time: now, kind, document_digest };
    let bytes = request.to_bytes()?;
    let mut next = VerifierWrites {
        forget_expired_before: Some(now.saturating_sub(NONCE_LIFETIME_SECS)),
        ..VerifierWrites::default()
    };
    next.nonces.insert(nonce, IssuedNonce { request, expiry, consumed: false, mdoc_elements: None });
    Ok((next, bytes))
}

/// Makes an MdocRequest for the qualification `elements` (QUA-008): a
/// fresh nonce held as a verifier nonce is (NON-004), the elements recorded.
pub fn mdoc_request(
    config: &VerifierConfig,
    view: &dyn VerifierRecords,
    elements: &[String],
    entropy: &mut dyn Entropy,
    now: UnixTime,
) -> Result<(VerifierWrites, Vec<u8>)> {
    use crate::mdoc::session::{ItemsRequest, MdocRequest, check_items_wanted, device_request};
    check_items_wanted(elements)?;
    let (mut writes, _) = request(config, view, Kind::Auth, MDOC_PURPOSE, None, entropy, now)?;
    let (nonce, issued) =
        writes.nonces.iter_mut().next().ok_or(Error::new(Code::Malformed, "no session was opened"))?;
    issued.mdoc_elements = Some(elements.to_vec());
    let device_request = device_request(&ItemsRequest::qualification(elements))?;
    let message = MdocRequest { rp_id: config.rp_id.clone(), nonce: *nonce, time: now, device_request };
    Ok((writes, message.to_bytes()?))
}

/// Every local check of an MdocPresentation (QUA-008 … QUA-013, QUA-016);
/// changes nothing. Returns the pending reading, what it shows, and the
/// StatusRequest about the MSO's status identifier (QUA-014).
pub fn check_mdoc(
    provider: &dyn CryptoProvider,
    config: &VerifierConfig,
    view: &dyn VerifierRecords,
    presentation: &[u8],
    now: UnixTime,
) -> Result<(PendingUse, crate::mdoc::session::MdocReading, Vec<u8>)> {
    use crate::mdoc::reader::{Asked, check_document, read_answer};
    use crate::mdoc::session::MdocPresentation;
    // 1. the envelope and the 18013-5 structures in it (QUA-016)
    let presentation = MdocPresentation::from_bytes(presentation)?;
    let document = read_answer(provider, &presentation.device_response)?;
    // 2. a session of ours, for a reading, unused, unexpired (QUA-008)
    let issued = view.nonce(&presentation.nonce)?.ok_or(Error::new(Code::NonceUnknown, "not our nonce"))?;
    let elements = issued.mdoc_elements.clone().ok_or(Error::new(Code::NonceUnknown, "not a reading's nonce"))?;
    if issued.consumed && !Mutation::AcceptReusedNonce.disables(config.mutation) {
        return Err(Error::new(Code::NonceReused, "nonce already used"));
    }
    if now > issued.expiry && !Mutation::SkipNonceExpiry.disables(config.mutation) {
        return Err(Error::new(Code::NonceExpired, "nonce expired"));
    }
    // 3 to 7. what was asked, the issuer, the digests, the validity, the device (QUA-009 … QUA-013)
    let asked = Asked { rp_id: &config.rp_id, nonce: &presentation.nonce, elements: &elements };
    let reading = check_document(provider, config.mutation, &config.mobile_anchor, &asked, document, now)?.reading()?;
    // 8. one status query about the MSO's identifier, bound to this nonce (QUA-014)
    let status_request = status_query(provider, config, presentation.nonce, &reading.status_id)?;
    let pending = PendingUse {
        nonce: presentation.nonce,
        serial: reading.status_id.clone(),
        counter: 0,
        kind: Kind::Auth,
        document_digest: None,
    };
    Ok((pending, reading, status_request))
}

/// Takes Status's answer about a reading and, when it is a fresh `good`,
/// accepts: the nonce is consumed (QUA-014).
pub fn complete_mdoc(
    provider: &dyn CryptoProvider,
    config: &VerifierConfig,
    view: &dyn VerifierRecords,
    pending: &PendingUse,
    answer: &StatusAnswer,
    now: UnixTime,
) -> Result<VerifierWrites> {
    check_status(provider, config, pending, answer, now)?;
    let mut next = VerifierWrites::default();
    next.nonces.insert(pending.nonce, consumed(config, view, &pending.nonce)?);
    Ok(next)
}

/// The session of `nonce`, consumed now; refused when it is not ours or
/// an accepted use or reading consumed it meanwhile (NON-002, QUA-008).
fn consumed(config: &VerifierConfig, view: &dyn VerifierRecords, nonce: &Nonce) -> Result<IssuedNonce> {
    let mut issued = view.nonce(nonce)?.ok_or(Error::new(Code::NonceUnknown, "not our nonce"))?;
    if issued.consumed && !Mutation::AcceptReusedNonce.disables(config.mutation) {
        return Err(Error::new(Code::NonceReused, "nonce used meanwhile"));
    }
    issued.consumed = true;
    Ok(issued)
}

/// Every local check of an assertion, in spec order; changes nothing.
/// Returns the pending use and the signed StatusRequest to send.
pub fn check_assertion(
    provider: &dyn CryptoProvider,
    config: &VerifierConfig,
    view: &dyn VerifierRecords,
    assertion: &[u8],
    now: UnixTime,
) -> Result<(PendingUse, Vec<u8>)> {
    // 1. strict COSE_Sign1 (ENC, COSE) and a payload that decodes
    let limits =
        Limits { deterministic: !Mutation::AcceptNonDeterministicCbor.disables(config.mutation), ..Limits::V0 };
    let signed = decode_sign1(assertion, &limits)?;
    let payload = AssertionPayload::from_bytes(signed.payload())?;
    let chain = signed.x5chain()?;
    // 2. rp id is ours (USE-001)
    let other_rp_ok = Mutation::AcceptOtherRp.disables(config.mutation);
    if payload.rp_id_hash != provider.sha256(config.rp_id.as_bytes()) && !other_rp_ok {
        return Err(Error::new(Code::RpMismatch, "assertion is for another relying party"));
    }
    // 3. the nonce is ours, unused, unexpired (NON-001 … NON-003)
    let issued = match view.nonce(&payload.nonce)? {
        None if Mutation::AcceptUnknownNonce.disables(None) => view.any_nonce()?,
        found => found,
    };
    let issued = issued.ok_or(Error::new(Code::NonceUnknown, "not our nonce"))?;
    // a qualification reading's nonce is answered by a presentation, never an assertion (QUA-008)
    if issued.mdoc_elements.is_some() {
        return Err(Error::new(Code::NonceUnknown, "a reading's nonce, not a use's"));
    }
    if issued.consumed && !Mutation::AcceptReusedNonce.disables(config.mutation) {
        return Err(Error::new(Code::NonceReused, "nonce already used"));
    }
    let at_expiry_refused = Mutation::NonceExpiryExclusive.disables(config.mutation) && now == issued.expiry;
    if (now > issued.expiry && !Mutation::SkipNonceExpiry.disables(config.mutation)) || at_expiry_refused {
        return Err(Error::new(Code::NonceExpired, "nonce expired"));
    }
    // 4. the certificate: chain, validity now, the purpose of the kind asked (PKI)
    let kind = if Mutation::TrustAssertedKind.disables(config.mutation) { payload.kind } else { issued.request.kind };
    if payload.kind != kind {
        return Err(Error::new(Code::WrongPurpose, "assertion made with another kind than asked"));
    }
    let leaf = validate_chain(provider, &chain, &config.mobile_anchor, Purpose::mobile(kind), now)?;
    // 5. the SE key's signature over the received bytes (COSE-006)
    signed.verify(provider, &leaf.public_key, b"")?;
    // 6. the transcript binds rp, nonce, purpose and this cert (USE-002)
    let expected = transcript_hash(provider, &config.rp_id, &payload.nonce, &issued.request.purpose, &leaf.serial)?;
    if payload.transcript_hash != expected && !other_rp_ok {
        return Err(Error::new(Code::TranscriptMismatch, "transcript is of another session"));
    }
    // 7. the signed time within the allowed skew of our clock (USE-003)
    let ahead_unbounded = Mutation::SkewOneSided.disables(config.mutation) && payload.time > now;
    let at_bound_refused =
        Mutation::SkewBoundExclusive.disables(config.mutation) && payload.time.abs_diff(now) == CLOCK_SKEW_SECS;
    if (payload.time.abs_diff(now) > CLOCK_SKEW_SECS && !ahead_unbounded) || at_bound_refused {
        return Err(Error::with_detail(Code::ClockSkew, format!("signed at {}, now {now}", payload.time)));
    }
    // 8. user verified; biometric for sign (USE-004, USE-005)
    if !payload.user_verified {
        return Err(Error::new(Code::UvMissing, "user not verified"));
    }
    let passcode_ok = Mutation::AcceptPasscodeForSign.disables(config.mutation);
    if kind == Kind::Sign && payload.uv_method != UvMethod::Biometric && !passcode_ok {
        return Err(Error::new(Code::UvMethodInsufficient, "sign needs biometric verification"));
    }
    // 9. the counter moved forward (USE-006)
    let counted = !Mutation::IgnoreCounter.disables(config.mutation);
    if counted && view.counter(&leaf.serial)?.is_some_and(|last| payload.counter <= last) {
        return Err(Error::new(Code::CounterRegression, "counter did not increase: possible clone"));
    }
    // 10. the document is the one asked for (USE-007)
    if payload.document_digest != issued.request.document_digest && !Mutation::SkipDigestCheck.disables(config.mutation)
    {
        return Err(Error::new(Code::DigestMismatch, "signed another document"));
    }
    // 11. one status query per use, bound to this nonce (USE-009)
    let status_request = status_query(provider, config, payload.nonce, &leaf.serial)?;
    let pending = PendingUse {
        nonce: payload.nonce,
        serial: leaf.serial,
        counter: payload.counter,
        kind,
        document_digest: payload.document_digest,
    };
    Ok((pending, status_request))
}

/// A StatusRequest about `serial` (a certificate's, or an MSO's status
/// identifier) bound to `nonce`, signed with the verifier's certificate
/// (USE-009, QUA-014).
fn status_query(
    provider: &dyn CryptoProvider,
    config: &VerifierConfig,
    nonce: Nonce,
    serial: &[u8],
) -> Result<Vec<u8>> {
    let query = StatusRequestPayload { rp_id: config.rp_id.clone(), nonce, serial: serial.to_vec() };
    let chain = [config.credential.cert.clone()];
    let options = SignOptions { x5chain: &chain, external_aad: b"" };
    sign1(provider, &config.credential.key.secret, &query.to_bytes()?, &options)
}

/// The mutant's status query (USE-009 switched off): made from whatever the
/// assertion names, before (and whatever) its local checks say.
pub fn premature_query(provider: &dyn CryptoProvider, config: &VerifierConfig, assertion: &[u8]) -> Option<Vec<u8>> {
    let signed = decode_sign1(assertion, &Limits::V0).ok()?;
    let leaf = crate::pki::ParsedCert::parse(provider, signed.x5chain().ok()?.first()?).ok()?;
    let payload = AssertionPayload::from_bytes(signed.payload()).ok()?;
    status_query(provider, config, payload.nonce, &leaf.serial).ok()
}

/// Takes Status's answer and, when it is a fresh `good` for this use,
/// accepts: the nonce is consumed and the counter recorded in one step.
pub fn complete(
    provider: &dyn CryptoProvider,
    config: &VerifierConfig,
    view: &dyn VerifierRecords,
    pending: &PendingUse,
    answer: &StatusAnswer,
    now: UnixTime,
) -> Result<VerifierWrites> {
    let skip_status = Mutation::SkipStatusCheck.disables(config.mutation)
        || (Mutation::UndeterminedAsGood.disables(config.mutation) && *answer == StatusAnswer::Unreachable);
    if !skip_status {
        check_status(provider, config, pending, answer, now)?;
    }
    // 17. commit: the nonce consumed and the counter recorded together (USE-013)
    let issued = consumed(config, view, &pending.nonce)?;
    let last = view.counter(&pending.serial)?;
    let counted = !Mutation::IgnoreCounter.disables(config.mutation);
    if counted && last.is_some_and(|last| pending.counter <= last) {
        return Err(Error::new(Code::CounterRegression, "counter did not increase"));
    }
    let highest = last.map_or(pending.counter, |last| pending.counter.max(last));
    let mut next = VerifierWrites::default();
    next.nonces.insert(pending.nonce, issued);
    next.counters.insert(pending.serial.clone(), highest);
    Ok(next)
}

/// Steps 12 to 16: Status's answer is a fresh, signed `good` for this use.
fn check_status(
    provider: &dyn CryptoProvider,
    config: &VerifierConfig,
    pending: &PendingUse,
    answer: &StatusAnswer,
    now: UnixTime,
) -> Result<()> {
    let response = match answer {
        // 12. no answer is its own outcome, never good nor revoked (USE-012)
        StatusAnswer::Unreachable => return Err(Error::new(Code::StatusUndetermined, "status service unreachable")),
        StatusAnswer::Refused(bytes) => return Err(ErrorMessage::from_bytes(bytes)?.to_error()),
        StatusAnswer::Response(bytes) => bytes,
    };
    // 13. the payload, then signed by the status signer (ENC-018, PKI, COSE)
    let status = open(response, &Limits::V0, StatusResponsePayload::from_bytes, |signed| {
        let signer = if Mutation::SkipStatusSignerChain.disables(config.mutation) {
            let chain = signed.x5chain()?;
            let leaf = chain.first().ok_or(Error::new(Code::X5chainMissing, "no signer certificate"))?;
            crate::pki::ParsedCert::parse(provider, leaf)?
        } else {
            validate_chain(provider, &signed.x5chain()?, &config.mobile_anchor, Purpose::StatusSigning, now)?
        };
        if !Mutation::SkipStatusSignature.disables(config.mutation) {
            signed.verify(provider, &signer.public_key, b"")?;
        }
        Ok(())
    })?
    .payload;
    // 14. about this cert and this use (USE-011)
    if status.serial != pending.serial || status.nonce != pending.nonce {
        return Err(Error::new(Code::StatusMismatch, "status answer for another certificate or nonce"));
    }
    // 15. fresh (USE-010)
    let age = now.saturating_sub(status.this_update);
    let too_old = age > STATUS_FRESHNESS_SECS
        || (Mutation::FreshnessBoundExclusive.disables(config.mutation) && age == STATUS_FRESHNESS_SECS);
    let from_future = status.this_update.saturating_sub(CLOCK_SKEW_SECS) > now
        && !Mutation::IgnoreFutureStatus.disables(config.mutation);
    let expired = now > status.next_update && !Mutation::IgnoreNextUpdate.disables(config.mutation);
    if too_old || from_future || expired {
        return Err(Error::new(Code::StatusStale, "status answer outside its validity window"));
    }
    // 16. good (PKI-012, PKI-013)
    match status.status {
        CertStatus::Good => Ok(()),
        CertStatus::Suspended => Err(Error::new(Code::CertSuspended, "certificate on hold")),
        CertStatus::Revoked { .. } => Err(Error::new(Code::CertRevoked, "certificate revoked")),
    }
}
