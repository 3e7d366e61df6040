//! An in-memory world: every role wired to the others with simulated time,
//! built from a seed, so a test reads like the flow. Roles exchange only
//! bytes, each message strictly decoded by its receiver; a test can tamper
//! with any message in flight, and every refused delivery is checked to
//! have left the whole world unchanged (but a wrong PIN's count).

use std::collections::BTreeMap;

use crate::card::{self, CardConfig, CardKey, CardState};
use crate::crypto::{CryptoProvider, Entropy, SeededEntropy, default_provider};
use crate::device::{self, DeviceConfig, DeviceState, IssuanceChoice, UserVerification};
use crate::error::{Code, Error};
use crate::issuer::{self, IssuerConfig, IssuerState};
use crate::msgs::error_msg::ErrorMessage;
use crate::msgs::{Digest, IdempotencyKey, Kind, Message};
use crate::notify::Notification;
use crate::pki::{HolderAttributes, TestPki};
use crate::status::{self, StatusConfig, StatusState};
use crate::time::{DAY, UnixTime};
use crate::verifier::{self, PendingUse, StatusAnswer, VerifierConfig, VerifierState};

/// The clock a new world starts at: 2025-06-01T00:00:00Z.
pub const WORLD_START: UnixTime = 1_748_736_000;
/// A verifier authorised to ask about `sign` certificates.
pub const GOV_RP: &str = "gov.example.jp";
/// A verifier for `auth` only.
pub const SHOP_RP: &str = "shop.example.jp";
/// The default sign password of world cards.
pub const SIGN_PASSWORD: &str = "ABC123";
/// The default auth PIN of world cards.
pub const AUTH_PIN: &str = "1234";

/// Where a message is in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hop {
    /// Issuer → Device: IssuanceChallenge.
    IssuanceChallenge,
    /// Card: a signature over the issuance payload.
    CardSignature,
    /// Device → Issuer: IssuanceRequest.
    IssuanceRequest,
    /// Issuer → Device: IssuanceResponse.
    IssuanceResponse,
    /// Verifier → Device: UseRequest.
    UseRequest,
    /// Device → Verifier: Assertion.
    Assertion,
    /// Verifier → Status: StatusRequest.
    StatusRequest,
    /// Status → Verifier: StatusResponse.
    StatusResponse,
}

/// A refused step: the code, where, and whether the world stayed as it was.
#[derive(Clone, Debug)]
pub struct FlowError {
    /// The refusal.
    pub error: Error,
    /// The message whose receiver refused it.
    pub hop: Hop,
    /// Every role's state is as before (a wrong PIN's count aside).
    pub unchanged: bool,
}

impl FlowError {
    /// The registry code.
    pub fn code(&self) -> Code {
        self.error.code
    }
}

/// A comparable picture of every role's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The Issuer: sessions, registry, idempotency, outbox.
    pub issuer: IssuerState,
    /// Status: table, usage log, outbox.
    pub status: StatusState,
    /// Verifiers by rp id: nonces and counters.
    pub verifiers: BTreeMap<String, VerifierState>,
    /// Cards by holder: PIN failure counts.
    pub cards: BTreeMap<String, CardState>,
    /// Devices by name: SE keys, counters, installed certs.
    pub devices: BTreeMap<String, DeviceState>,
}

/// What a holder types and chooses for one issuance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueParams {
    /// Kinds to request.
    pub kinds: Vec<Kind>,
    /// The sign password given to the card.
    pub sign_password: String,
    /// The auth PIN given to the card.
    pub auth_pin: String,
    /// The idempotency key.
    pub idempotency_key: IdempotencyKey,
}

impl IssueParams {
    /// Both kinds, the right secrets, a key derived from `tag`.
    pub fn both(tag: u8) -> Self {
        IssueParams {
            kinds: Kind::ALL.to_vec(),
            sign_password: SIGN_PASSWORD.into(),
            auth_pin: AUTH_PIN.into(),
            idempotency_key: [tag; 16],
        }
    }
}

/// An accepted use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedUse {
    /// The certificate used.
    pub serial: Vec<u8>,
    /// Its counter.
    pub counter: u32,
}

type Tamper = Box<dyn FnMut(Hop, &mut Vec<u8>)>;

/// The world.
pub struct World {
    provider: &'static dyn CryptoProvider,
    pki: TestPki,
    now: UnixTime,
    entropy: SeededEntropy,
    issuer_config: IssuerConfig,
    issuer: IssuerState,
    status_config: StatusConfig,
    status: StatusState,
    /// Whether verifiers can reach Status.
    pub status_reachable: bool,
    verifiers: BTreeMap<String, (VerifierConfig, VerifierState)>,
    cards: BTreeMap<String, (CardConfig, CardState)>,
    holders: BTreeMap<String, HolderAttributes>,
    devices: BTreeMap<String, (DeviceConfig, DeviceState)>,
    tamper: Option<Tamper>,
}

impl World {
    /// A world from `seed`: the test PKI, an Issuer, Status, and two
    /// verifiers ([`GOV_RP`] may check `sign`, [`SHOP_RP`] may not).
    pub fn new(seed: [u8; 32]) -> crate::Result<World> {
        let provider = default_provider();
        let now = WORLD_START;
        let pki = TestPki::from_seed(provider, seed, now)?;
        let issuer_config = IssuerConfig {
            mobile_root: pki.mobile_root.clone(),
            card_anchor: pki.card_root.anchor(provider)?,
            platform_anchor: pki.platform_root.anchor(provider)?,
        };
        let status_config =
            StatusConfig { signer: pki.status_signer.clone(), verifier_anchor: pki.mobile_root.anchor(provider)? };
        let mut verifiers = BTreeMap::new();
        for (rp, may_sign) in [(GOV_RP, true), (SHOP_RP, false)] {
            let config = VerifierConfig {
                rp_id: rp.into(),
                credential: pki.verifier(provider, rp, may_sign)?,
                mobile_anchor: pki.mobile_root.anchor(provider)?,
            };
            verifiers.insert(rp.to_owned(), (config, VerifierState::default()));
        }
        Ok(World {
            provider,
            entropy: pki.entropy("world"),
            pki,
            now,
            issuer_config,
            issuer: IssuerState::default(),
            status_config,
            status: StatusState::default(),
            status_reachable: true,
            verifiers,
            cards: BTreeMap::new(),
            holders: BTreeMap::new(),
            devices: BTreeMap::new(),
            tamper: None,
        })
    }

    /// The provider in use.
    pub fn provider(&self) -> &'static dyn CryptoProvider {
        self.provider
    }

    /// The test PKI.
    pub fn pki(&self) -> &TestPki {
        &self.pki
    }

    /// The simulated clock.
    pub fn now(&self) -> UnixTime {
        self.now
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, secs: u64) {
        self.now += secs;
    }

    /// Tampers with every message in flight from now on.
    pub fn set_tamper(&mut self, tamper: impl FnMut(Hop, &mut Vec<u8>) + 'static) {
        self.tamper = Some(Box::new(tamper));
    }

    /// Stops tampering.
    pub fn clear_tamper(&mut self) {
        self.tamper = None;
    }

    /// A holder with a card valid for 5 years from now.
    pub fn add_holder(&mut self, name: &str, attributes: HolderAttributes) -> crate::Result<()> {
        self.add_holder_with_card_validity(name, attributes, (self.now - DAY, self.now + 5 * 365 * DAY))
    }

    /// A holder whose card certificates have the given validity.
    pub fn add_holder_with_card_validity(
        &mut self,
        name: &str,
        attributes: HolderAttributes,
        validity: (UnixTime, UnixTime),
    ) -> crate::Result<()> {
        let creds = self.pki.card(self.provider, name, &attributes, validity)?;
        let auth_serial = crate::pki::ParsedCert::parse(self.provider, &creds.auth.cert)?.serial;
        let sign_serial = crate::pki::ParsedCert::parse(self.provider, &creds.sign.cert)?.serial;
        self.issuer = issuer::register_card(&self.issuer, &auth_serial, &sign_serial);
        let config = CardConfig::new(creds.sign, creds.auth, SIGN_PASSWORD, AUTH_PIN)?;
        self.cards.insert(name.to_owned(), (config, CardState::default()));
        self.holders.insert(name.to_owned(), attributes);
        Ok(())
    }

    /// A new device with its own platform identity.
    pub fn add_device(&mut self, name: &str) {
        let config = DeviceConfig { device_id: format!("device {name}"), platform: self.pki.platform_root.clone() };
        self.devices.insert(name.to_owned(), (config, DeviceState::default()));
    }

    /// A holder's card configuration (keys and certificates).
    pub fn card(&self, holder: &str) -> Option<&CardConfig> {
        self.cards.get(holder).map(|(c, _)| c)
    }

    /// A device's state.
    pub fn device(&self, name: &str) -> Option<&DeviceState> {
        self.devices.get(name).map(|(_, s)| s)
    }

    /// A verifier's configuration.
    pub fn verifier(&self, rp: &str) -> Option<&VerifierConfig> {
        self.verifiers.get(rp).map(|(c, _)| c)
    }

    /// Revokes one of a holder's card certificates at J-LIS.
    pub fn revoke_card_cert(&mut self, holder: &str, which: CardKey) -> crate::Result<()> {
        let card = self.card(holder).ok_or(Error::new(Code::Malformed, "no such holder"))?;
        let auth_serial = crate::pki::ParsedCert::parse(self.provider, &card.auth.cert)?.serial;
        self.issuer = issuer::mark_card_cert_revoked(&self.issuer, &auth_serial, which);
        Ok(())
    }

    /// The Issuer's back-office channel to Status: sets a certificate's
    /// status directly (a `StatusFeed` message, as the Issuer sends).
    pub fn feed_status(
        &mut self,
        serial: &[u8],
        kind: Kind,
        status: crate::msgs::status::CertStatus,
    ) -> crate::Result<()> {
        let feed = crate::msgs::status::StatusFeed { serial: serial.to_vec(), kind, status }.to_bytes()?;
        self.status = status::apply_feed(&self.status, &feed)?;
        Ok(())
    }

    /// Every role's state.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            issuer: self.issuer.clone(),
            status: self.status.clone(),
            verifiers: self.verifiers.iter().map(|(k, (_, s))| (k.clone(), s.clone())).collect(),
            cards: self.cards.iter().map(|(k, (_, s))| (k.clone(), s.clone())).collect(),
            devices: self.devices.iter().map(|(k, (_, s))| (k.clone(), s.clone())).collect(),
        }
    }

    /// Every notification written so far: the Issuer's, then Status's.
    pub fn notifications(&self) -> Vec<Notification> {
        self.issuer.outbox.iter().chain(self.status.outbox.iter()).cloned().collect()
    }

    fn in_flight(&mut self, hop: Hop, mut bytes: Vec<u8>) -> Vec<u8> {
        if let Some(tamper) = self.tamper.as_mut() {
            tamper(hop, &mut bytes);
        }
        bytes
    }

    /// Runs one receiver step; on refusal, checks nothing moved.
    fn deliver<T>(&mut self, hop: Hop, step: impl FnOnce(&mut World) -> Result<T, Error>) -> Result<T, FlowError> {
        let before = self.snapshot();
        step(self).map_err(|error| {
            let after = self.snapshot();
            let unchanged = after == before || (error.code == Code::PinWrong && only_pin_count_moved(&before, &after));
            FlowError { error, hop, unchanged }
        })
    }

    /// Issuer: a fresh issuance challenge.
    pub fn issuance_challenge(&mut self) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let bytes = self.deliver(Hop::IssuanceChallenge, |w| {
            let (next, bytes) = issuer::challenge(&w.issuer, &mut w.entropy, now)?;
            w.issuer = next;
            Ok(bytes)
        })?;
        Ok(self.in_flight(Hop::IssuanceChallenge, bytes))
    }

    /// Device + card: the IssuanceRequest answering `challenge`.
    pub fn issuance_request(
        &mut self,
        holder: &str,
        device: &str,
        challenge: &[u8],
        params: &IssueParams,
    ) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let provider = self.provider;
        let payload = self.deliver(Hop::IssuanceChallenge, |w| {
            let (config, state) = w.devices.get(device).ok_or(Error::new(Code::Malformed, "no such device"))?;
            let choice = IssuanceChoice {
                kinds: params.kinds.clone(),
                notification_address: format!("{holder}@mail.example.jp"),
                idempotency_key: params.idempotency_key,
            };
            let (next, payload) =
                device::prepare_issuance(provider, config, state, challenge, &choice, &mut w.entropy, now)?;
            if let Some(entry) = w.devices.get_mut(device) {
                entry.1 = next;
            }
            Ok(payload)
        })?;
        let request = self.deliver(Hop::CardSignature, |w| {
            let (config, state) = w.cards.get(holder).ok_or(Error::new(Code::Malformed, "no such holder"))?;
            let mut card_state = state.clone();
            let mut failure = None;
            let request =
                device::assemble_issuance_request(&payload, &config.sign.cert, &config.auth.cert, |key, tbs| {
                    let secret = match key {
                        CardKey::Sign => &params.sign_password,
                        CardKey::Auth => &params.auth_pin,
                    };
                    let (next, result) = card::sign(provider, config, &card_state, key, secret, tbs);
                    card_state = next;
                    result.inspect_err(|e| failure = Some(e.clone()))
                });
            if let Some(entry) = w.cards.get_mut(holder) {
                entry.1 = card_state;
            }
            request
        })?;
        Ok(self.in_flight(Hop::IssuanceRequest, request))
    }

    /// Issuer, then Status (feed), then the device installs the answer.
    pub fn submit_issuance(&mut self, device: &str, request: &[u8]) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let provider = self.provider;
        let response = self.deliver(Hop::IssuanceRequest, |w| {
            let (next, output) = issuer::issue(provider, &w.issuer_config, &w.issuer, request, &mut w.entropy, now)?;
            let mut status = w.status.clone();
            for feed in &output.status_feed {
                status = status::apply_feed(&status, feed)?;
            }
            w.issuer = next;
            w.status = status;
            Ok(output.response)
        })?;
        let response = self.in_flight(Hop::IssuanceResponse, response);
        self.deliver(Hop::IssuanceResponse, |w| {
            let (_, state) = w.devices.get(device).ok_or(Error::new(Code::Malformed, "no such device"))?;
            let next = device::install(provider, state, &response)?;
            if let Some(entry) = w.devices.get_mut(device) {
                entry.1 = next;
            }
            Ok(())
        })?;
        Ok(response)
    }

    /// The whole issuance: challenge, card-signed request, issue, install.
    pub fn issue(&mut self, holder: &str, device: &str, params: &IssueParams) -> Result<Vec<u8>, FlowError> {
        let challenge = self.issuance_challenge()?;
        let request = self.issuance_request(holder, device, &challenge, params)?;
        self.submit_issuance(device, &request)
    }

    /// Verifier `rp`: a UseRequest.
    pub fn use_request(
        &mut self,
        rp: &str,
        kind: Kind,
        purpose: &str,
        document_digest: Option<Digest>,
    ) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let bytes = self.deliver(Hop::UseRequest, |w| {
            let (config, state) = w.verifiers.get(rp).ok_or(Error::new(Code::Malformed, "no such verifier"))?;
            let (next, bytes) = verifier::request(config, state, kind, purpose, document_digest, &mut w.entropy, now)?;
            if let Some(entry) = w.verifiers.get_mut(rp) {
                entry.1 = next;
            }
            Ok(bytes)
        })?;
        Ok(self.in_flight(Hop::UseRequest, bytes))
    }

    /// Device: answers a UseRequest after user verification `uv`.
    pub fn assertion(&mut self, device: &str, request: &[u8], uv: UserVerification) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let provider = self.provider;
        let bytes = self.deliver(Hop::UseRequest, |w| {
            let (_, state) = w.devices.get(device).ok_or(Error::new(Code::Malformed, "no such device"))?;
            let (next, bytes) = device::assert(provider, state, request, uv, now)?;
            if let Some(entry) = w.devices.get_mut(device) {
                entry.1 = next;
            }
            Ok(bytes)
        })?;
        Ok(self.in_flight(Hop::Assertion, bytes))
    }

    /// Verifier `rp`: checks an assertion, asks Status once, and accepts.
    pub fn verify(&mut self, rp: &str, assertion: &[u8]) -> Result<AcceptedUse, FlowError> {
        let now = self.now;
        let provider = self.provider;
        let (pending, status_request) = self.deliver(Hop::Assertion, |w| {
            let (config, state) = w.verifiers.get(rp).ok_or(Error::new(Code::Malformed, "no such verifier"))?;
            verifier::check_assertion(provider, config, state, assertion, now)
        })?;
        let status_request = self.in_flight(Hop::StatusRequest, status_request);
        let answer =
            if self.status_reachable {
                let answered = self.deliver(Hop::StatusRequest, |w| {
                    let (next, response) = status::answer(provider, &w.status_config, &w.status, &status_request, now)?;
                    w.status = next;
                    Ok(response)
                });
                match answered {
                    Ok(response) => StatusAnswer::Response(self.in_flight(Hop::StatusResponse, response)),
                    // Status answers its refusal as an Error message; the verifier reads it.
                    Err(refusal) => {
                        let message = ErrorMessage::from_error(&refusal.error).to_bytes().map_err(|error| {
                            FlowError { error, hop: Hop::StatusRequest, unchanged: refusal.unchanged }
                        })?;
                        StatusAnswer::Refused(message)
                    }
                }
            } else {
                StatusAnswer::Unreachable
            };
        self.complete_use(rp, &pending, &answer)
    }

    fn complete_use(
        &mut self,
        rp: &str,
        pending: &PendingUse,
        answer: &StatusAnswer,
    ) -> Result<AcceptedUse, FlowError> {
        let now = self.now;
        let provider = self.provider;
        self.deliver(Hop::StatusResponse, |w| {
            let (config, state) = w.verifiers.get(rp).ok_or(Error::new(Code::Malformed, "no such verifier"))?;
            let next = verifier::complete(provider, config, state, pending, answer, now)?;
            if let Some(entry) = w.verifiers.get_mut(rp) {
                entry.1 = next;
            }
            Ok(AcceptedUse { serial: pending.serial.clone(), counter: pending.counter })
        })
    }

    /// Authentication end to end: `rp` asks, `device` answers with biometrics.
    pub fn authenticate(&mut self, device: &str, rp: &str) -> Result<AcceptedUse, FlowError> {
        let request = self.use_request(rp, Kind::Auth, "log in", None)?;
        let assertion = self.assertion(device, &request, UserVerification::BIOMETRIC)?;
        self.verify(rp, &assertion)
    }

    /// Signing end to end over `document`.
    pub fn sign(&mut self, device: &str, rp: &str, document: &[u8]) -> Result<AcceptedUse, FlowError> {
        let digest = self.provider.sha256(document);
        let request = self.use_request(rp, Kind::Sign, "sign a tax return", Some(digest))?;
        let assertion = self.assertion(device, &request, UserVerification::BIOMETRIC)?;
        self.verify(rp, &assertion)
    }

    /// Draws bytes from the world's entropy (for tests that need fresh values).
    pub fn random_bytes(&mut self, out: &mut [u8]) {
        self.entropy.fill(out);
    }
}

/// True when `after` differs from `before` only by one card's failure count
/// moving by exactly one.
fn only_pin_count_moved(before: &Snapshot, after: &Snapshot) -> bool {
    let mut patched = after.clone();
    let mut moved = 0;
    for (name, card) in &before.cards {
        if let Some(now) = patched.cards.get_mut(name) {
            if now.sign_failures == card.sign_failures + 1 {
                now.sign_failures -= 1;
                moved += 1;
            }
            if now.auth_failures == card.auth_failures + 1 {
                now.auth_failures -= 1;
                moved += 1;
            }
        }
    }
    moved == 1 && patched == *before
}
