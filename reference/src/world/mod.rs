//! An in-memory world: every role wired to the others with simulated time,
//! built from a seed, so a test reads like the flow. Roles exchange only
//! bytes, each message strictly decoded by its receiver; a test can tamper
//! with any message in flight, and every refused delivery is checked to
//! have left the whole world unchanged (but a wrong PIN's count).

use std::collections::BTreeMap;

use crate::card::{self, CardConfig, CardKey, CardState};
use crate::crypto::{CryptoProvider, Entropy, SeededEntropy, default_provider};
use crate::device::{self, DeviceConfig, DeviceState, IssuanceChoice};
use crate::error::{Code, Error};
use crate::issuer::{self, IssuerConfig, IssuerState};
use crate::msgs::{IdempotencyKey, Kind, Message};
use crate::notify::Notification;
use crate::pki::{HolderAttributes, TestPki};
use crate::status::{self, StatusConfig, StatusState};
use crate::time::{DAY, UnixTime};
use crate::verifier::{VerifierConfig, VerifierState};

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
    /// Old device → Issuer: MigrationIntent (path A).
    MigrationIntent,
    /// Card-signed holder action → Issuer.
    HolderAction,
    /// Device → Issuer: revocation or self-deletion.
    DeviceRevocation,
    /// Issuer → Device or shop: a signed receipt.
    Receipt,
    /// Issuer → Device: a wipe command.
    WipeCommand,
    /// Device → Issuer: a wipe receipt.
    WipeReceipt,
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
    /// Migration path B: certificates to supersede (empty for a first issuance).
    pub replaces: Vec<Vec<u8>>,
}

impl IssueParams {
    /// Both kinds, the right secrets, a key derived from `tag`.
    pub fn both(tag: u8) -> Self {
        IssueParams {
            kinds: Kind::ALL.to_vec(),
            sign_password: SIGN_PASSWORD.into(),
            auth_pin: AUTH_PIN.into(),
            idempotency_key: [tag; 16],
            replaces: Vec::new(),
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

mod lifecycle;
mod usage;

pub use lifecycle::LifecycleParams;

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
    wipe_receipts: BTreeMap<String, device::WipeReceipts>,
    violations: Vec<crate::invariants::Violation>,
    online: BTreeMap<String, bool>,
    tamper: Option<Tamper>,
}

impl World {
    /// A world from `seed`: the test PKI, an Issuer, Status, and two
    /// verifiers ([`GOV_RP`] may check `sign`, [`SHOP_RP`] may not).
    pub fn new(seed: [u8; 32]) -> crate::Result<World> {
        let provider = default_provider();
        let now = WORLD_START;
        let pki = TestPki::from_seed(provider, seed, now)?;
        let receipts_key = pki.key(provider, "issuer-receipts")?;
        let receipts_cert = pki.leaf(
            provider,
            &pki.mobile_root,
            "issuer-receipts",
            vec![crate::pki::NameAttribute::common_name("JPKI Test Issuer Receipts")],
            &receipts_key.public,
            crate::pki::Purpose::IssuerReceipts,
            (now - DAY, now + crate::pki::fixtures::ROOT_LIFETIME_SECS),
            vec![],
        )?;
        let issuer_config = IssuerConfig {
            mobile_root: pki.mobile_root.clone(),
            card_anchor: pki.card_root.anchor(provider)?,
            platform_anchor: pki.platform_root.anchor(provider)?,
            mobile_anchor: pki.mobile_root.anchor(provider)?,
            receipts: crate::pki::Credential { key: receipts_key, cert: receipts_cert },
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
            wipe_receipts: BTreeMap::new(),
            violations: Vec::new(),
            online: BTreeMap::new(),
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
        let auth = crate::pki::ParsedCert::parse(self.provider, &creds.auth.cert)?;
        let sign = crate::pki::ParsedCert::parse(self.provider, &creds.sign.cert)?;
        let not_after = auth.not_after.min(sign.not_after);
        self.issuer = issuer::register_card(&self.issuer, &auth.serial, &sign.serial, not_after);
        let config = CardConfig::new(creds.sign, creds.auth, SIGN_PASSWORD, AUTH_PIN)?;
        self.cards.insert(name.to_owned(), (config, CardState::default()));
        self.holders.insert(name.to_owned(), attributes);
        Ok(())
    }

    /// A new device with its own platform identity.
    pub fn add_device(&mut self, name: &str) {
        let config = DeviceConfig { device_id: format!("device {name}"), platform: self.pki.platform_root.clone() };
        self.devices.insert(name.to_owned(), (config, DeviceState::default()));
        self.online.insert(name.to_owned(), true);
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

    /// Every invariant violation found after any step so far (empty in a
    /// correct world).
    pub fn violations(&self) -> &[crate::invariants::Violation] {
        &self.violations
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
        let result = step(self);
        let after = self.snapshot();
        self.violations.extend(crate::invariants::check_step(&before, &after));
        self.violations.extend(crate::invariants::check(&after));
        result.map_err(|error| {
            let refusal = crate::invariants::check_refusal(&before, &after, error.code);
            let unchanged = refusal.is_empty();
            self.violations.extend(refusal);
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
                replaces: params.replaces.clone(),
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

    /// Draws bytes from the world's entropy (for tests that need fresh values).
    pub fn random_bytes(&mut self, out: &mut [u8]) {
        self.entropy.fill(out);
    }
}
