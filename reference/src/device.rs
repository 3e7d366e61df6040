//! The Device: the wallet app and its secure element. SE keys are made
//! inside and never leave; each has a signature counter; every use needs
//! user verification, whose outcome and method come in as inputs.

use crate::mutants::Mutation;
use std::collections::BTreeMap;

use crate::codec::Limits;
use crate::codec::cose_sign1::{SignOptions, decode_sign1, open, sign1, sign1_with};
use crate::crypto::{CryptoProvider, Entropy, KeyPair, generate_key};
use crate::error::{Code, Error, Result};
use crate::msgs::issuance::{IssuanceChallenge, IssuanceRequest, IssuanceRequestPayload, IssuanceResponse, KeyRequest};
use crate::msgs::usage::{AssertionPayload, UseRequest, transcript_hash};
use crate::msgs::{IdempotencyKey, Kind, Message, UvMethod};
use crate::pki::{Authority, KeyAttestation, NameAttribute, ParsedCert, Purpose};
use crate::pki::{CertRole, CertTemplate, issue_certificate};
use crate::time::{DAY, UnixTime};

/// What a device is: its platform identity and attestation authority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceConfig {
    /// The platform's identifier for this device (the attestation's subject).
    pub device_id: String,
    /// The platform attestation root that vouches for this device's SE.
    pub platform: Authority,
    /// A built-in mutant's switched-off rule; `None` in the reference.
    pub mutation: Option<crate::mutants::Mutation>,
}

/// The secure element's gate (DEV-001): a private key is used only after
/// the user was verified for that use.
fn require_uv(config: &DeviceConfig, uv: UserVerification) -> Result<()> {
    if uv.verified || crate::mutants::Mutation::SignWithoutUv.disables(config.mutation) {
        Ok(())
    } else {
        Err(Error::new(Code::SeUvRequired, "the secure element uses a key only after user verification"))
    }
}

/// One secure-element key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeKey {
    /// The key pair (the secret never leaves the SE).
    pub key: KeyPair,
    /// Signatures made so far.
    pub counter: u32,
    /// The installed mobile certificate, once issued.
    pub cert: Option<Vec<u8>>,
}

/// What changes on the device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceState {
    /// Installed credentials by kind.
    pub installed: BTreeMap<Kind, SeKey>,
    /// Keys made for an issuance not yet answered.
    pub pending: BTreeMap<Kind, SeKey>,
    /// The IssuanceRequestPayload made with the pending keys: the answer
    /// to the same challenge and choice again (ISS-015).
    pub pending_payload: Option<Vec<u8>>,
    /// Keys made for the qualification MSOs of the pending issuance (QUA-001).
    pub pending_mdoc_keys: Vec<KeyPair>,
    /// The installed qualification mdocs (QUA-004).
    pub mdocs: Vec<crate::mdoc::wallet::StoredMdoc>,
}

/// The user-verification outcome for one signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserVerification {
    /// The user was verified.
    pub verified: bool,
    /// How.
    pub method: UvMethod,
}

impl UserVerification {
    /// A successful biometric check.
    pub const BIOMETRIC: UserVerification = UserVerification { verified: true, method: UvMethod::Biometric };
    /// A successful passcode check.
    pub const PASSCODE: UserVerification = UserVerification { verified: true, method: UvMethod::Passcode };
    /// No verification: the holder was not asked, or the check failed.
    pub const NONE: UserVerification = UserVerification { verified: false, method: UvMethod::Biometric };
}

/// What the holder chooses for an issuance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuanceChoice {
    /// The kinds to request.
    pub kinds: Vec<Kind>,
    /// The notification address.
    pub notification_address: String,
    /// The idempotency key of this request.
    pub idempotency_key: IdempotencyKey,
    /// Migration path B: the old certificates this issuance supersedes.
    pub replaces: Vec<Vec<u8>>,
    /// How many qualification mdocs to ask for (0 to 4; QUA-001).
    pub qualification: usize,
}

/// The platform's attestation of a new SE key: a certificate from the
/// platform root saying "in SE, UV required", answering `challenge`.
fn attest(
    provider: &dyn CryptoProvider,
    config: &DeviceConfig,
    key: &KeyPair,
    challenge: &[u8],
    now: UnixTime,
    serial: Vec<u8>,
) -> Result<Vec<u8>> {
    let facts =
        KeyAttestation { in_secure_element: true, user_verification_required: true, challenge: challenge.to_vec() };
    let template = CertTemplate {
        serial,
        subject: vec![NameAttribute::common_name(&config.device_id)],
        not_before: now.saturating_sub(DAY),
        not_after: crate::time::later(now, DAY)?,
        public_key: key.public.clone(),
        role: CertRole::Leaf(Purpose::KeyAttestation),
        extra_extensions: vec![(crate::pki::oids::EXT_KEY_ATTESTATION, true, facts.to_der()?)],
    };
    issue_certificate(provider, &template, config.platform.as_issuer())
}

/// Step 1 of issuance on the device: reads the challenge, makes one SE key
/// per kind with its attestation, and returns the payload the card signs.
/// The same challenge and choice again, while those keys are pending, get
/// the same payload and make no key (ISS-015).
pub fn prepare_issuance(
    provider: &dyn CryptoProvider,
    config: &DeviceConfig,
    state: &DeviceState,
    challenge: &[u8],
    choice: &IssuanceChoice,
    entropy: &mut dyn Entropy,
    now: UnixTime,
) -> Result<(DeviceState, Vec<u8>)> {
    let challenge = IssuanceChallenge::from_bytes(challenge)?;
    let mut kinds = choice.kinds.clone();
    kinds.sort();
    kinds.dedup();
    // ISS-015: the same challenge and choice again, its keys still pending: the same answer
    if let Some(answered) = state.pending_payload.as_deref().filter(|_| !state.pending.is_empty()) {
        let previous = IssuanceRequestPayload::from_bytes(provider, answered)?;
        let same = previous.nonce == challenge.nonce
            && previous.keys.iter().map(|k| k.kind).eq(kinds.iter().copied())
            && previous.notification_address == choice.notification_address
            && previous.idempotency_key == choice.idempotency_key
            && previous.replaces == choice.replaces
            && previous.qualification.len() == choice.qualification;
        if same && !Mutation::FreshKeysOnRetry.disables(None) {
            if Mutation::NewIdempotencyKeyOnRetry.disables(None) {
                // the mutant: the same keys, a key of its own for the retry
                let mut retry = previous;
                entropy.fill(&mut retry.idempotency_key);
                return Ok((state.clone(), retry.to_bytes()?));
            }
            return Ok((state.clone(), answered.to_vec()));
        }
    }
    let mut next = state.clone();
    next.pending.clear();
    let mut keys = Vec::new();
    for kind in kinds {
        let key = generate_key(provider, entropy)?;
        let mut serial = vec![0u8; 16];
        entropy.fill(&mut serial);
        serial[0] = (serial[0] & 0x7f) | 0x40;
        let attestation = attest(provider, config, &key, &challenge.nonce, now, serial)?;
        keys.push(KeyRequest { kind, key: key.public.clone(), attestation: vec![attestation] });
        next.pending.insert(kind, SeKey { key, counter: 0, cert: None });
    }
    // one attested key per qualification MSO (QUA-001)
    let mut qualification = Vec::new();
    next.pending_mdoc_keys.clear();
    for _ in 0..choice.qualification {
        let key = generate_key(provider, entropy)?;
        let mut serial = vec![0u8; 16];
        entropy.fill(&mut serial);
        serial[0] = (serial[0] & 0x7f) | 0x40;
        let attestation = attest(provider, config, &key, &challenge.nonce, now, serial)?;
        qualification
            .push(crate::msgs::issuance::QualificationKey { key: key.public.clone(), attestation: vec![attestation] });
        next.pending_mdoc_keys.push(key);
    }
    let payload = IssuanceRequestPayload {
        nonce: challenge.nonce,
        keys,
        notification_address: choice.notification_address.clone(),
        idempotency_key: choice.idempotency_key,
        replaces: choice.replaces.clone(),
        qualification,
    };
    let payload = payload.to_bytes()?;
    next.pending_payload = Some(payload.clone());
    Ok((next, payload))
}

/// Step 2: wraps the payload signed twice by the card, each signature made
/// by `card_signer(key, sig_structure)`, into an IssuanceRequest.
pub fn assemble_issuance_request(
    payload: &[u8],
    sign_cert: &[u8],
    auth_cert: &[u8],
    mut card_signer: impl FnMut(crate::card::CardKey, &[u8]) -> Result<[u8; 64]>,
) -> Result<Vec<u8>> {
    use crate::card::CardKey;
    let sign_chain = [sign_cert.to_vec()];
    let auth_chain = [auth_cert.to_vec()];
    let by_sign = sign1_with(payload, &SignOptions { x5chain: &sign_chain, external_aad: b"" }, |tbs| {
        card_signer(CardKey::Sign, tbs)
    })?;
    let by_auth = sign1_with(payload, &SignOptions { x5chain: &auth_chain, external_aad: b"" }, |tbs| {
        card_signer(CardKey::Auth, tbs)
    })?;
    IssuanceRequest { signed_by_sign_key: by_sign, signed_by_auth_key: by_auth }.to_bytes()
}

/// Step 3: installs the issued certificates on the pending keys, each one
/// first shown to certify the pending key of its kind (ISS-010) and then
/// validated as a mobile certificate of that kind under `mobile_anchor` at
/// `now` (ISS-013); any refusal installs nothing.
pub fn install(
    provider: &dyn CryptoProvider,
    state: &DeviceState,
    response: &[u8],
    mobile_anchor: &crate::pki::TrustAnchor,
    now: UnixTime,
) -> Result<DeviceState> {
    let response = IssuanceResponse::from_bytes(response)?;
    let mut next = state.clone();
    for issued in &response.certs {
        let pending = if Mutation::KeepPendingKeys.disables(None) {
            next.pending.get(&issued.kind).cloned()
        } else {
            next.pending.remove(&issued.kind)
        };
        let mut se_key =
            pending.ok_or(Error::with_detail(Code::Malformed, format!("no pending key for {:?}", issued.kind)))?;
        let cert = ParsedCert::parse(provider, &issued.cert)?;
        if cert.public_key != se_key.key.public && !Mutation::InstallForAnyKey.disables(None) {
            return Err(Error::new(Code::Malformed, "issued certificate is for another key"));
        }
        let chain = std::slice::from_ref(&issued.cert);
        crate::pki::validate_chain(provider, chain, mobile_anchor, Purpose::mobile(issued.kind), now)?;
        se_key.cert = Some(issued.cert.clone());
        next.installed.insert(issued.kind, se_key);
    }
    // the qualification mdocs, each for its pending key (QUA-004)
    let mdocs =
        crate::mdoc::wallet::accept_issued(provider, &response.mdocs, &next.pending_mdoc_keys, mobile_anchor, now)?;
    // a new auth certificate brings the MSOs recorded with it, none included: older ones go with the old one
    if !mdocs.is_empty() || response.certs.iter().any(|c| c.kind == Kind::Auth) {
        next.mdocs = mdocs;
    }
    if !Mutation::KeepPendingKeys.disables(None) {
        next.pending.clear();
        next.pending_payload = None;
        next.pending_mdoc_keys.clear();
    }
    Ok(next)
}

/// Answers a UseRequest: verifies the user (the outcome is an input), bumps
/// the counter and signs the assertion with the SE key of the asked kind.
pub fn assert(
    provider: &dyn CryptoProvider,
    config: &DeviceConfig,
    state: &DeviceState,
    use_request: &[u8],
    uv: UserVerification,
    now: UnixTime,
) -> Result<(DeviceState, Vec<u8>)> {
    let request = UseRequest::from_bytes(use_request)?;
    require_uv(config, uv)?;
    let mut next = state.clone();
    let se_key = next
        .installed
        .get_mut(&request.kind)
        .ok_or(Error::with_detail(Code::Malformed, format!("no {:?} credential installed", request.kind)))?;
    let cert_der = se_key.cert.clone().ok_or(Error::new(Code::Malformed, "credential has no certificate"))?;
    let cert = ParsedCert::parse(provider, &cert_der)?;
    se_key.counter = se_key.counter.checked_add(1).ok_or(Error::new(Code::Malformed, "counter exhausted"))?;
    let payload = AssertionPayload {
        rp_id_hash: provider.sha256(request.rp_id.as_bytes()),
        nonce: request.nonce,
        counter: se_key.counter,
        user_verified: uv.verified,
        uv_method: uv.method,
        time: now,
        kind: request.kind,
        transcript_hash: transcript_hash(provider, &request.rp_id, &request.nonce, &request.purpose, &cert.serial)?,
        document_digest: request.document_digest,
    };
    let chain = [cert_der];
    let assertion =
        sign1(provider, &se_key.key.secret, &payload.to_bytes()?, &SignOptions { x5chain: &chain, external_aad: b"" })?;
    Ok((next, assertion))
}

/// The payload of an assertion, for tools that inspect what a device sent.
pub fn read_assertion_payload(assertion: &[u8]) -> Result<AssertionPayload> {
    let sign1 = decode_sign1(assertion, &Limits::V0)?;
    AssertionPayload::from_bytes(sign1.payload())
}

impl DeviceConfig {
    /// The device's identity as the Issuer sees it: SHA-256 of its
    /// attestation certificates' subject name (ISS-003).
    pub fn digest(&self, provider: &dyn CryptoProvider) -> Result<crate::msgs::Digest> {
        use der::Encode;
        let name = crate::pki::build::build_name(&[NameAttribute::common_name(&self.device_id)])?;
        let der = name.to_der().map_err(|_| Error::new(Code::Malformed, "device name"))?;
        Ok(provider.sha256(&der))
    }
}

/// The serials of the installed certificates, by kind.
pub fn installed_serials(provider: &dyn CryptoProvider, state: &DeviceState) -> Result<Vec<(Kind, Vec<u8>)>> {
    let mut out = Vec::new();
    for (kind, se_key) in &state.installed {
        if let Some(cert) = &se_key.cert {
            out.push((*kind, ParsedCert::parse(provider, cert)?.serial));
        }
    }
    Ok(out)
}

/// Signs a lifecycle payload (migration intent, revocation) with the
/// device's `auth` key (its `sign` key when no `auth` credential is
/// installed), the certificate in `x5chain`, after user verification (DEV-001).
pub fn sign_lifecycle(
    provider: &dyn CryptoProvider,
    config: &DeviceConfig,
    state: &DeviceState,
    payload: &[u8],
    uv: UserVerification,
) -> Result<Vec<u8>> {
    require_uv(config, uv)?;
    se_sign(provider, state, payload)
}

/// A signature by the device's `auth` key (its `sign` key when no `auth`
/// credential is installed), the certificate in `x5chain`; no UV gate.
fn se_sign(provider: &dyn CryptoProvider, state: &DeviceState, payload: &[u8]) -> Result<Vec<u8>> {
    let se_key = state
        .installed
        .get(&Kind::Auth)
        .or_else(|| state.installed.get(&Kind::Sign))
        .ok_or(Error::new(Code::Malformed, "no credential installed"))?;
    let cert = se_key.cert.clone().ok_or(Error::new(Code::Malformed, "credential has no certificate"))?;
    let chain = [cert];
    sign1(provider, &se_key.key.secret, payload, &SignOptions { x5chain: &chain, external_aad: b"" })
}

/// What the device keeps of wipes it carried out, so a retried command gets
/// the same receipt although the keys are gone.
pub type WipeReceipts = BTreeMap<[u8; 16], Vec<u8>>;

/// Carries out a wipe command: checks it was signed by the Issuer (receipts
/// certificate under the mobile root), signs a receipt with a key being
/// wiped, then erases those credentials (REV-005, REV-007).
pub fn apply_wipe(
    provider: &dyn CryptoProvider,
    state: &DeviceState,
    done: &WipeReceipts,
    command: &[u8],
    mobile_anchor: &crate::pki::TrustAnchor,
    now: UnixTime,
) -> Result<(DeviceState, WipeReceipts, Vec<u8>)> {
    use crate::msgs::lifecycle::{WipeCommandPayload, WipeReceiptPayload};
    // the payload, then the Issuer's signature (ENC-018)
    let order = open(command, &Limits::V0, WipeCommandPayload::from_bytes, |signed| {
        let issuer =
            crate::pki::validate_chain(provider, &signed.x5chain()?, mobile_anchor, Purpose::IssuerReceipts, now)?;
        signed.verify(provider, &issuer.public_key, b"")
    })?
    .payload;
    if let Some(receipt) = done.get(&order.command_id).filter(|_| !Mutation::ForgetWipeReceipts.disables(None)) {
        return Ok((state.clone(), done.clone(), receipt.clone()));
    }
    let held = installed_serials(provider, state)?;
    let mut targets: Vec<Kind> = held.iter().filter(|(_, s)| order.serials.contains(s)).map(|(k, _)| *k).collect();
    if targets.is_empty() && Mutation::WipeWhateverHeld.disables(None) {
        targets = held.iter().map(|(k, _)| *k).collect();
    }
    if targets.is_empty() {
        return Err(Error::new(Code::WipeUnknown, "none of these certificates is on this device"));
    }
    let payload =
        WipeReceiptPayload { command_id: order.command_id, serials: order.serials.clone(), time: now }.to_bytes()?;
    let mut signer = DeviceState::default();
    for kind in &targets {
        if let Some(key) = state.installed.get(kind) {
            signer.installed.insert(*kind, key.clone());
        }
    }
    // the one key use without the holder (DEV-001): the receipt of its own
    // deletion, signed by a key destroyed in this same step
    let receipt = se_sign(provider, &signer, &payload)?;
    let mut next = state.clone();
    for kind in targets {
        next.installed.remove(&kind);
        // the qualification MSOs go with the auth certificate they are recorded with (QUA-015)
        if kind == Kind::Auth {
            next.mdocs.clear();
        }
    }
    let mut done = done.clone();
    done.insert(order.command_id, receipt.clone());
    Ok((next, done, receipt))
}

/// Answers a reader's MdocRequest (QUA-005 … QUA-007): the holder approved
/// `approved` and was verified (`uv`, DEV-001); the mdoc used counts one
/// presentation more. A refusal changes nothing.
pub fn present_mdoc(
    provider: &dyn CryptoProvider,
    config: &DeviceConfig,
    state: &DeviceState,
    request: &[u8],
    approved: &[String],
    uv: UserVerification,
) -> Result<(DeviceState, Vec<u8>)> {
    require_uv(config, uv)?;
    let (index, presentation) =
        crate::mdoc::wallet::present(provider, config.mutation, &state.mdocs, request, approved)?;
    let mut next = state.clone();
    if let Some(used) = next.mdocs.get_mut(index) {
        used.uses += 1;
    }
    Ok((next, presentation))
}
