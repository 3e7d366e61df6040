//! An in-memory world: every role wired to the others with simulated time,
//! built from a seed, so a test reads like the flow. Roles exchange only
//! bytes, each message strictly decoded by its receiver; a test can tamper
//! with any message in flight, and every refused delivery is checked to
//! have left the whole world unchanged (but a wrong PIN's count).

use std::collections::BTreeMap;

use crate::card::{self, CardConfig, CardKey, CardState};
use crate::crypto::{CryptoProvider, Entropy, SeededEntropy, default_provider};
use crate::device::IssuanceChoice;
use crate::error::{Code, Error};
use crate::issuer::IssuerOutput;
use crate::msgs::{IdempotencyKey, Kind, Message};
use crate::mutants::Mutation;
use crate::notify::Notification;
use crate::observation::DeviceObservation;
pub use crate::observation::WorldObservation;
use crate::pki::{HolderAttributes, TestPki, TrustAnchor};
use crate::roles::{DeviceRole, IssuerRole, StatusRole, VerifierRole};
use crate::time::{DAY, UnixTime};
use crate::verifier::VerifierConfig;

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
    /// Reader → Device: MdocRequest (QUA-008).
    MdocRequest,
    /// Device → Reader: MdocPresentation.
    MdocPresentation,
    /// Issuer → Status: a certificate's new status (back office).
    StatusFeed,
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
    /// How many qualification mdocs to ask for (QUA-001; 0 for none).
    pub qualification: usize,
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
            qualification: 0,
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

/// Told of every step of a world: the observation before it and when, the
/// observation after it and when (see [`World::observe_steps`]).
pub type StepObserver = fn(&WorldObservation, UnixTime, &WorldObservation, UnixTime);

mod setup;

pub use setup::{ReferenceRoles, ReferenceSetup, RoleFactory};

mod lifecycle;
mod usage;

pub use lifecycle::{LifecycleParams, MigrationPlan};

/// The suite's virtual card: the holder's secrets come from `params`.
struct SuiteCard<'a> {
    provider: &'static dyn CryptoProvider,
    config: &'a CardConfig,
    state: &'a mut CardState,
    params: &'a IssueParams,
}

impl crate::roles::CardAccess for SuiteCard<'_> {
    fn certificate(&mut self, key: CardKey) -> crate::Result<Vec<u8>> {
        Ok(self.config.credential(key).cert.clone())
    }

    fn sign(&mut self, key: CardKey, message: &[u8]) -> crate::Result<[u8; 64]> {
        let secret = match key {
            CardKey::Sign => &self.params.sign_password,
            CardKey::Auth => &self.params.auth_pin,
        };
        let (next, result) = card::sign(self.provider, self.config, self.state, key, secret, message);
        *self.state = next;
        result
    }
}

/// The world.
pub struct World {
    provider: &'static dyn CryptoProvider,
    pki: TestPki,
    now: UnixTime,
    entropy: SeededEntropy,
    mutation: Option<Mutation>,
    mobile_anchor: TrustAnchor,
    setup: ReferenceSetup,
    factory: Box<dyn RoleFactory>,
    issuer: Box<dyn IssuerRole>,
    status: Box<dyn StatusRole>,
    /// Whether verifiers can reach Status.
    pub status_reachable: bool,
    verifiers: BTreeMap<String, Box<dyn VerifierRole>>,
    verifier_configs: BTreeMap<String, VerifierConfig>,
    cards: BTreeMap<String, (CardConfig, CardState)>,
    devices: BTreeMap<String, Box<dyn DeviceRole>>,
    violations: Vec<crate::invariants::Violation>,
    step_observer: Option<StepObserver>,
    /// Whether every delivery is judged against the invariants (each
    /// observes the whole world twice); a load run turns it off and judges
    /// once, at its end.
    judging_each_step: bool,
    online: BTreeMap<String, bool>,
    tamper: Option<Tamper>,
    sent_feeds: Vec<Vec<u8>>,
    seen_requests: Vec<(Hop, Vec<u8>)>,
    issued_nonces: Vec<(String, crate::msgs::Nonce)>,
}

/// How many requests the world keeps for an attacker to replay: the first
/// ones sent (see [`World::seen_requests`]).
pub const REPLAY_MEMORY: usize = 16;

fn no_such(what: &'static str) -> Error {
    Error::new(Code::Malformed, what)
}

impl World {
    /// A world from `seed`: the test PKI, an Issuer, Status, and two
    /// verifiers ([`GOV_RP`] may check `sign`, [`SHOP_RP`] may not), every
    /// role the reference.
    pub fn new(seed: [u8; 32]) -> crate::Result<World> {
        World::with_mutation(seed, None)
    }

    /// The same world with one built-in mutant's rule switched off in the
    /// role that owns it (`None`: the reference).
    pub fn with_mutation(seed: [u8; 32], mutation: Option<Mutation>) -> crate::Result<World> {
        World::with_factory(seed, mutation, Box::new(ReferenceRoles))
    }

    /// A world whose roles come from `factory`: it is handed each reference
    /// role, configured from the seed, and returns it or a binding to a
    /// system under test playing that role.
    pub fn with_factory(
        seed: [u8; 32],
        mutation: Option<Mutation>,
        factory: Box<dyn RoleFactory>,
    ) -> crate::Result<World> {
        World::build(seed, mutation, factory, default_provider(), &[])
    }

    /// As [`with_factory`](Self::with_factory), the Issuer also trusting
    /// the platform attestation roots `platform_roots` (DER): those a
    /// vendor's wallet under test attests its keys under.
    pub fn with_factory_trusting(
        seed: [u8; 32],
        mutation: Option<Mutation>,
        factory: Box<dyn RoleFactory>,
        platform_roots: &[Vec<u8>],
    ) -> crate::Result<World> {
        World::build(seed, mutation, factory, default_provider(), platform_roots)
    }

    /// A reference world running on another crypto provider (the model
    /// checker's symbolic one): the same roles and transitions.
    pub fn with_provider(
        seed: [u8; 32],
        mutation: Option<Mutation>,
        provider: &'static dyn CryptoProvider,
    ) -> crate::Result<World> {
        World::build(seed, mutation, Box::new(ReferenceRoles), provider, &[])
    }

    fn build(
        seed: [u8; 32],
        mutation: Option<Mutation>,
        mut factory: Box<dyn RoleFactory>,
        provider: &'static dyn CryptoProvider,
        platform_roots: &[Vec<u8>],
    ) -> crate::Result<World> {
        let now = WORLD_START;
        let setup = ReferenceSetup::with_provider(seed, mutation, provider)?.trusting_platform_roots(platform_roots)?;
        let mut verifiers: BTreeMap<String, Box<dyn VerifierRole>> = BTreeMap::new();
        let mut verifier_configs = BTreeMap::new();
        for (rp, verifier, config) in setup.verifiers()? {
            verifiers.insert(rp.clone(), factory.verifier(verifier));
            verifier_configs.insert(rp, config);
        }
        Ok(World {
            provider,
            entropy: setup.pki.entropy("world"),
            issuer: factory.issuer(setup.issuer()?),
            status: factory.status(setup.status()),
            mobile_anchor: setup.mobile_anchor.clone(),
            pki: setup.pki.clone(),
            setup,
            factory,
            now,
            mutation,
            status_reachable: true,
            verifiers,
            verifier_configs,
            cards: BTreeMap::new(),
            devices: BTreeMap::new(),
            violations: Vec::new(),
            step_observer: None,
            judging_each_step: true,
            online: BTreeMap::new(),
            tamper: None,
            sent_feeds: Vec::new(),
            seen_requests: Vec::new(),
            issued_nonces: Vec::new(),
        })
    }

    /// An independent copy of the world: every role forked with its state,
    /// no tamper hook. `None` when a role cannot be copied (a binding to
    /// another process). The model checker branches with it.
    pub fn fork(&self) -> Option<World> {
        let mut verifiers = BTreeMap::new();
        for (rp, verifier) in &self.verifiers {
            verifiers.insert(rp.clone(), verifier.fork()?);
        }
        let mut devices = BTreeMap::new();
        for (name, device) in &self.devices {
            devices.insert(name.clone(), device.fork()?);
        }
        Some(World {
            provider: self.provider,
            pki: self.pki.clone(),
            now: self.now,
            entropy: self.entropy.clone(),
            mutation: self.mutation,
            mobile_anchor: self.mobile_anchor.clone(),
            setup: self.setup.clone(),
            factory: self.factory.fork()?,
            issuer: self.issuer.fork()?,
            status: self.status.fork()?,
            status_reachable: self.status_reachable,
            verifiers,
            verifier_configs: self.verifier_configs.clone(),
            cards: self.cards.clone(),
            devices,
            violations: self.violations.clone(),
            step_observer: self.step_observer,
            judging_each_step: self.judging_each_step,
            online: self.online.clone(),
            tamper: None,
            sent_feeds: self.sent_feeds.clone(),
            seen_requests: self.seen_requests.clone(),
            issued_nonces: self.issued_nonces.clone(),
        })
    }

    /// The built-in mutant this world runs, if any.
    pub fn mutation(&self) -> Option<Mutation> {
        self.mutation
    }

    /// The provider in use.
    pub fn provider(&self) -> &'static dyn CryptoProvider {
        self.provider
    }

    /// The test PKI.
    pub fn pki(&self) -> &TestPki {
        &self.pki
    }

    /// The mobile root as a trust anchor (what a reader of receipts and
    /// status lists trusts).
    pub fn mobile_anchor(&self) -> &TrustAnchor {
        &self.mobile_anchor
    }

    /// The simulated clock.
    pub fn now(&self) -> UnixTime {
        self.now
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, secs: u64) {
        let then = self.now;
        self.now += secs;
        if let Some(observer) = self.step_observer {
            let unchanged = self.observe();
            observer(&unchanged, then, &unchanged, self.now);
        }
    }

    /// Has `observer` called with the world before and after every delivery
    /// and every clock step, forks included (the property runs count the
    /// state machines' transitions with it).
    pub fn observe_steps(&mut self, observer: StepObserver) {
        self.step_observer = Some(observer);
    }

    /// Whether each delivery is judged against the invariants (the default:
    /// on). Off, a step only runs: no observation before and after it, no
    /// violation recorded, and a refusal's `unchanged` is not claimed (the
    /// load generator, which judges what the servers report once, at its
    /// end).
    pub fn judge_each_step(&mut self, on: bool) {
        self.judging_each_step = on;
    }

    /// Whether deliveries are judged one by one (see [`World::judge_each_step`]).
    pub(crate) fn judging(&self) -> bool {
        self.judging_each_step || self.step_observer.is_some()
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
        self.issuer.register_card(&auth.serial, &sign.serial, auth.not_after.min(sign.not_after));
        let config = CardConfig::new(creds.sign, creds.auth, SIGN_PASSWORD, AUTH_PIN)?;
        self.cards.insert(name.to_owned(), (config, CardState::default()));
        Ok(())
    }

    /// J-LIS registers `holder`'s card with the Issuer once more (an
    /// administrative input; a card already registered keeps its record).
    pub fn register_card_again(&mut self, holder: &str) -> crate::Result<()> {
        let (config, _) = self.cards.get(holder).ok_or(no_such("no such holder"))?;
        let auth = crate::pki::ParsedCert::parse(self.provider, &config.auth.cert)?;
        let sign = crate::pki::ParsedCert::parse(self.provider, &config.sign.cert)?;
        self.issuer.register_card(&auth.serial, &sign.serial, auth.not_after.min(sign.not_after));
        Ok(())
    }

    /// A new device with its own platform identity.
    pub fn add_device(&mut self, name: &str) {
        let device = self.factory.device(name, self.setup.device(name));
        self.devices.insert(name.to_owned(), device);
        self.online.insert(name.to_owned(), true);
    }

    /// A device the suite itself plays with the reference wallet, whatever
    /// the system under test: its keys are the suite's, so checks may forge
    /// what a faulty wallet would send (an assertion without UV) and judge
    /// the other roles with it. Online, like every new device.
    pub fn add_suite_device(&mut self, name: &str) {
        self.devices.insert(name.to_owned(), Box::new(self.setup.device(name).played_by_suite()));
        self.online.insert(name.to_owned(), true);
    }

    /// The secret of the installed `kind` key of device `name`, when the
    /// suite plays that device itself; `None` for a wallet under test.
    pub fn suite_secret(&self, name: &str, kind: Kind) -> Option<crate::crypto::SecretKey> {
        self.devices.get(name)?.suite_secret(kind)
    }

    /// A holder's card configuration (keys and certificates).
    pub fn card(&self, holder: &str) -> Option<&CardConfig> {
        self.cards.get(holder).map(|(c, _)| c)
    }

    /// A device's state.
    pub fn device(&self, name: &str) -> Option<DeviceObservation> {
        self.devices.get(name).map(|d| d.observe())
    }

    /// A verifier's configuration.
    pub fn verifier(&self, rp: &str) -> Option<&VerifierConfig> {
        self.verifier_configs.get(rp)
    }

    /// A StatusFeed as the Issuer's back office would sign it, made by the
    /// suite with its own copy of the Issuer's receipts key (derived from
    /// the seed), under `sequence`: the suite plays a faulty or replaying
    /// back office with it. Nothing is sent.
    pub fn forge_status_feed(
        &self,
        serial: &[u8],
        kind: Kind,
        status: crate::msgs::status::CertStatus,
        sequence: u64,
    ) -> crate::Result<Vec<u8>> {
        let feed =
            crate::msgs::status::StatusFeed { serial: serial.to_vec(), kind, status, sequence, aliases: Vec::new() }
                .to_bytes()?;
        let receipts = self.setup.issuer_config()?.receipts;
        let chain = [receipts.cert];
        crate::codec::cose_sign1::sign1(
            self.provider,
            &receipts.key.secret,
            &feed,
            &crate::codec::cose_sign1::SignOptions { x5chain: &chain, external_aad: b"" },
        )
    }

    /// Every StatusFeed the Issuer has sent so far, as it went on the wire
    /// (the suite replays them to play a duplicating or replaying channel).
    pub fn sent_feeds(&self) -> &[Vec<u8>] {
        &self.sent_feeds
    }

    /// The first [`REPLAY_MEMORY`] requests sent to a server (issuance
    /// requests, assertions, migration intents, holder actions, device
    /// revocations), with their hop, as they went on the wire: what a
    /// network attacker keeps to replay.
    pub fn seen_requests(&self) -> &[(Hop, Vec<u8>)] {
        &self.seen_requests
    }

    /// Every role observed (spec/observation.cddl), plus the suite's cards.
    pub fn observe(&self) -> WorldObservation {
        WorldObservation {
            issuer: self.issuer.observe(),
            status: self.status.observe(),
            verifiers: self.verifiers.iter().map(|(k, v)| (k.clone(), v.observe())).collect(),
            cards: self.cards.iter().map(|(k, (_, s))| (k.clone(), s.clone())).collect(),
            devices: self.devices.iter().map(|(k, d)| (k.clone(), d.observe())).collect(),
        }
    }

    /// Every invariant violation found after any step so far (empty in a
    /// correct world).
    pub fn violations(&self) -> &[crate::invariants::Violation] {
        &self.violations
    }

    /// Every notification written so far: the Issuer's, then Status's.
    pub fn notifications(&self) -> Vec<Notification> {
        let mut all = self.issuer.observe().outbox;
        all.extend(self.status.observe().outbox);
        all
    }

    fn in_flight(&mut self, hop: Hop, mut bytes: Vec<u8>) -> Vec<u8> {
        if let Some(tamper) = self.tamper.as_mut() {
            tamper(hop, &mut bytes);
        }
        let request = matches!(
            hop,
            Hop::IssuanceRequest | Hop::Assertion | Hop::MigrationIntent | Hop::HolderAction | Hop::DeviceRevocation
        );
        if request && self.seen_requests.len() < REPLAY_MEMORY {
            self.seen_requests.push((hop, bytes.clone()));
        }
        bytes
    }

    /// Runs one receiver step; on refusal, checks nothing moved.
    fn deliver<T>(&mut self, hop: Hop, step: impl FnOnce(&mut World) -> Result<T, Error>) -> Result<T, FlowError> {
        if !self.judging() {
            return step(self).map_err(|error| FlowError { error, hop, unchanged: false });
        }
        let before = self.observe();
        let result = step(self);
        let after = self.observe();
        self.violations.extend(crate::invariants::check_step(&before, &after));
        self.violations.extend(crate::invariants::check(&after));
        if let Some(observer) = self.step_observer {
            observer(&before, self.now, &after, self.now);
        }
        result.map_err(|error| {
            let refusal = crate::invariants::check_refusal(&before, &after, error.code);
            let unchanged = refusal.is_empty();
            self.violations.extend(refusal);
            FlowError { error, hop, unchanged }
        })
    }

    /// Applies an Issuer step's Status feed.
    fn feed(&mut self, output: &IssuerOutput) -> Result<(), Error> {
        for feed in &output.status_feed {
            let feed = self.in_flight(Hop::StatusFeed, feed.clone());
            self.sent_feeds.push(feed.clone());
            self.status.apply_feed(&feed, self.now)?;
        }
        Ok(())
    }

    fn device_mut(&mut self, name: &str) -> Result<&mut Box<dyn DeviceRole>, Error> {
        self.devices.get_mut(name).ok_or(no_such("no such device"))
    }

    /// Issuer: a fresh issuance challenge.
    pub fn issuance_challenge(&mut self) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let bytes = self.deliver(Hop::IssuanceChallenge, |w| w.issuer.challenge(now))?;
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
        let request = self.deliver(Hop::CardSignature, |w| {
            let choice = IssuanceChoice {
                kinds: params.kinds.clone(),
                notification_address: format!("{holder}@mail.example.jp"),
                idempotency_key: params.idempotency_key,
                replaces: params.replaces.clone(),
                qualification: params.qualification,
            };
            let World { devices, cards, .. } = w;
            let device = devices.get_mut(device).ok_or(no_such("no such device"))?;
            let (config, state) = cards.get_mut(holder).ok_or(no_such("no such holder"))?;
            let mut card = SuiteCard { provider, config, state, params };
            device.request_issuance(challenge, &choice, now, &mut card)
        })?;
        Ok(self.in_flight(Hop::IssuanceRequest, request))
    }

    /// Issuer, then Status (feed), then the device installs the answer.
    pub fn submit_issuance(&mut self, device: &str, request: &[u8]) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let response = self.deliver(Hop::IssuanceRequest, |w| {
            let output = w.issuer.issue(request, now)?;
            w.feed(&output)?;
            Ok(output.response)
        })?;
        let response = self.in_flight(Hop::IssuanceResponse, response);
        let now = self.now;
        self.deliver(Hop::IssuanceResponse, |w| w.device_mut(device)?.install(&response, now))?;
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
