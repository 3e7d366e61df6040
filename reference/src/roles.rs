//! One trait per role, speaking the wire messages as bytes, plus the test
//! controls a conformance run needs (observe the state as a snapshot
//! comparable with the model's). The world harness drives every role only
//! through these traits, so any of them can be a system under test: the
//! reference (this module's `Reference*` types, the default), a built-in
//! mutant, or a third-party implementation behind a binding.
//!
//! The clock is passed into every call (`now`); a binding for an external
//! implementation forwards it as its "set clock" control.

use std::collections::VecDeque;

use crate::card::CardKey;
use crate::crypto::{CryptoProvider, Entropy, SecretKey, SeededEntropy};
use crate::device::{self, DeviceConfig, DeviceState, IssuanceChoice, UserVerification, WipeReceipts};
use crate::error::Result;
use crate::issuer::{self, CardEvent, IssuerConfig, IssuerOutput, IssuerState, IssuerWrites};
use crate::msgs::{Digest, Kind, Nonce};
use crate::observation::{DeviceObservation, IssuerObservation, StatusObservation, VerifierObservation};
use crate::pki::TrustAnchor;
use crate::status::{self, StatusConfig, StatusState};
use crate::time::UnixTime;
use crate::verifier::{self, StatusAnswer, VerifierConfig, VerifierState};

/// The Issuer.
pub trait IssuerRole {
    /// IssuanceChallenge (also starts a migration).
    fn challenge(&mut self, now: UnixTime) -> Result<Vec<u8>>;
    /// IssuanceRequest → IssuanceResponse (+ Status feed).
    fn issue(&mut self, request: &[u8], now: UnixTime) -> Result<IssuerOutput>;
    /// MigrationIntent (path A) → IssuanceResponse.
    fn migrate(&mut self, intent: &[u8], now: UnixTime) -> Result<IssuerOutput>;
    /// Card-signed holder action → receipt.
    fn holder_action(&mut self, request: &[u8], now: UnixTime) -> Result<IssuerOutput>;
    /// Device revocation or release → receipt.
    fn device_revocation(&mut self, request: &[u8], now: UnixTime) -> Result<IssuerOutput>;
    /// The wipe commands waiting for a device.
    fn deliver_wipes(&mut self, device: &Digest) -> Vec<Vec<u8>>;
    /// A device's wipe receipt.
    fn acknowledge_wipe(&mut self, receipt: &[u8], now: UnixTime) -> Result<()>;
    /// Control: a card J-LIS issued.
    fn register_card(&mut self, auth_serial: &[u8], sign_serial: &[u8], not_after: UnixTime);
    /// Control: a card event at J-LIS.
    fn card_event(&mut self, holder: &[u8], event: CardEvent, now: UnixTime) -> Result<IssuerOutput>;
    /// Observe: the registry, sessions, idempotency records, outbox, wipes
    /// (spec/observation.cddl).
    fn observe(&self) -> IssuerObservation;
    /// Control: replace the stored state with the one `observation`
    /// describes (fixed vectors set up their fixture).
    fn load(&mut self, observation: IssuerObservation) -> Result<()>;
    /// An independent copy of this role and its state, for explorers that
    /// branch (the model checker); `None` for a role that cannot be copied,
    /// such as a binding to another process.
    fn fork(&self) -> Option<Box<dyn IssuerRole>> {
        None
    }
}

/// The status service.
pub trait StatusRole {
    /// A signed StatusFeed from the Issuer's back office, judged at `now`.
    fn apply_feed(&mut self, feed: &[u8], now: UnixTime) -> Result<()>;
    /// StatusRequest → StatusResponse.
    fn answer(&mut self, request: &[u8], now: UnixTime) -> Result<Vec<u8>>;
    /// One chunk of the status list, as a signed token made at `now` (STL-004).
    fn list(&mut self, chunk: u64, now: UnixTime) -> Result<Vec<u8>>;
    /// Observe: entries, usage log, outbox (spec/observation.cddl).
    fn observe(&self) -> StatusObservation;
    /// Control: replace the stored state with the one `observation`
    /// describes (fixed vectors set up their fixture).
    fn load(&mut self, observation: StatusObservation) -> Result<()>;
    /// An independent copy of this role and its state, for explorers that
    /// branch (the model checker); `None` for a role that cannot be copied,
    /// such as a binding to another process.
    fn fork(&self) -> Option<Box<dyn StatusRole>> {
        None
    }
}

/// A verifier (relying party).
pub trait VerifierRole {
    /// Its rp id.
    fn rp_id(&self) -> &str;
    /// A UseRequest.
    fn request(&mut self, kind: Kind, purpose: &str, digest: Option<Digest>, now: UnixTime) -> Result<Vec<u8>>;
    /// Checks an assertion; asks Status through `status` (one call, after
    /// every local check); accepts or refuses.
    fn verify(
        &mut self,
        assertion: &[u8],
        now: UnixTime,
        status: &mut dyn FnMut(Vec<u8>) -> StatusAnswer,
    ) -> Result<(Vec<u8>, u32)>;
    /// A qualification reading's MdocRequest for `elements` (QUA-008).
    fn mdoc_request(&mut self, elements: &[String], now: UnixTime) -> Result<Vec<u8>>;
    /// Checks an MdocPresentation, asks Status through `status` (one call,
    /// after every local check) and accepts or refuses; returns the
    /// MdocReading (QUA-009 … QUA-014).
    fn mdoc_verify(
        &mut self,
        presentation: &[u8],
        now: UnixTime,
        status: &mut dyn FnMut(Vec<u8>) -> StatusAnswer,
    ) -> Result<Vec<u8>>;
    /// Model only: the nonces the next [`request`](Self::request) calls
    /// use, in order, instead of drawing their own, so that the model can
    /// adopt what a system under test drew (spec: nonces are random) and
    /// still be compared with it. Replaces any not used yet; a system under
    /// test ignores it.
    fn adopt_nonces(&mut self, nonces: Vec<Nonce>) {
        let _ = nonces;
    }
    /// Observe: nonces and counters (spec/observation.cddl).
    fn observe(&self) -> VerifierObservation;
    /// Control: replace the stored state with the one `observation`
    /// describes (fixed vectors set up their fixture).
    fn load(&mut self, observation: VerifierObservation) -> Result<()>;
    /// An independent copy of this role and its state, for explorers that
    /// branch (the model checker); `None` for a role that cannot be copied,
    /// such as a binding to another process.
    fn fork(&self) -> Option<Box<dyn VerifierRole>> {
        None
    }
}

/// The card, as a wallet reaches it (over NFC in life; played by the suite
/// in a conformance run): its certificates, and signatures behind a PIN the
/// holder types on the card's side.
pub trait CardAccess {
    /// The certificate of `key`.
    fn certificate(&mut self, key: CardKey) -> Result<Vec<u8>>;
    /// Signs `message` with `key` (the PIN is entered on the card's side).
    fn sign(&mut self, key: CardKey, message: &[u8]) -> Result<[u8; 64]>;
}

/// A device (wallet + secure element).
pub trait DeviceRole {
    /// Its identity as the Issuer sees it.
    fn digest(&self) -> Result<Digest>;
    /// Reads a challenge, makes attested keys, returns the payload the card signs.
    fn prepare_issuance(&mut self, challenge: &[u8], choice: &IssuanceChoice, now: UnixTime) -> Result<Vec<u8>>;
    /// Answers a challenge with a whole IssuanceRequest: makes attested
    /// keys and has `card` sign the payload with both keys. All or nothing:
    /// if the card refuses, the device is as before.
    fn request_issuance(
        &mut self,
        challenge: &[u8],
        choice: &IssuanceChoice,
        now: UnixTime,
        card: &mut dyn CardAccess,
    ) -> Result<Vec<u8>>;
    /// Installs an IssuanceResponse.
    fn install(&mut self, response: &[u8], now: UnixTime) -> Result<()>;
    /// Answers a UseRequest after user verification.
    fn assert(&mut self, use_request: &[u8], uv: UserVerification, now: UnixTime) -> Result<Vec<u8>>;
    /// Signs a lifecycle payload (migration intent, revocation) with its SE
    /// key, after user verification (`uv`, DEV-001).
    fn sign_lifecycle(&mut self, payload: &[u8], uv: UserVerification) -> Result<Vec<u8>>;
    /// Answers a reader's MdocRequest with the elements asked for that the
    /// holder `approved`, after user verification `uv` (QUA-005 … QUA-007).
    fn present_mdoc(
        &mut self,
        request: &[u8],
        approved: &[String],
        uv: UserVerification,
        now: UnixTime,
    ) -> Result<Vec<u8>>;
    /// The installed certificates' serials.
    fn installed_serials(&self) -> Result<Vec<Vec<u8>>>;
    /// Carries out a wipe command and returns the signed receipt.
    fn apply_wipe(&mut self, command: &[u8], now: UnixTime) -> Result<Vec<u8>>;
    /// Deletes every credential (after a release receipt).
    fn release(&mut self);
    /// Observe: public keys, counters, installed certificates; never a
    /// secret (spec/observation.cddl).
    fn observe(&self) -> DeviceObservation;
    /// The secret of the installed `kind` key, for a device the suite plays
    /// itself ([`ReferenceDevice::played_by_suite`]) and no other: every
    /// wallet under test answers `None`, and no check reaches its keys.
    fn suite_secret(&self, kind: Kind) -> Option<SecretKey> {
        let _ = kind;
        None
    }
    /// An independent copy of this role and its state, for explorers that
    /// branch (the model checker); `None` for a role that cannot be copied,
    /// such as a binding to another process.
    fn fork(&self) -> Option<Box<dyn DeviceRole>> {
        None
    }
}

/// The reference Issuer.
#[derive(Clone)]
pub struct ReferenceIssuer {
    provider: &'static dyn CryptoProvider,
    config: IssuerConfig,
    state: IssuerState,
    entropy: SeededEntropy,
}

impl ReferenceIssuer {
    /// An Issuer with `config`, drawing randomness from `entropy`.
    pub fn new(provider: &'static dyn CryptoProvider, config: IssuerConfig, entropy: SeededEntropy) -> Self {
        ReferenceIssuer { provider, config, state: IssuerState::default(), entropy }
    }

    /// Commits a transition's writes (the in-memory store's transaction).
    fn step<T>(&mut self, output: Result<(IssuerWrites, T)>) -> Result<T> {
        let (writes, output) = output?;
        self.state.apply(writes);
        Ok(output)
    }
}

impl IssuerRole for ReferenceIssuer {
    fn fork(&self) -> Option<Box<dyn IssuerRole>> {
        Some(Box::new(self.clone()))
    }

    fn challenge(&mut self, now: UnixTime) -> Result<Vec<u8>> {
        let result = issuer::challenge(&self.config, &self.state, &mut self.entropy, now);
        self.step(result)
    }

    fn issue(&mut self, request: &[u8], now: UnixTime) -> Result<IssuerOutput> {
        let result = issuer::issue(self.provider, &self.config, &self.state, request, &mut self.entropy, now);
        self.step(result)
    }

    fn migrate(&mut self, intent: &[u8], now: UnixTime) -> Result<IssuerOutput> {
        let result =
            issuer::migrate_with_old_device(self.provider, &self.config, &self.state, intent, &mut self.entropy, now);
        self.step(result)
    }

    fn holder_action(&mut self, request: &[u8], now: UnixTime) -> Result<IssuerOutput> {
        let result = issuer::holder_action(self.provider, &self.config, &self.state, request, &mut self.entropy, now);
        self.step(result)
    }

    fn device_revocation(&mut self, request: &[u8], now: UnixTime) -> Result<IssuerOutput> {
        let result = issuer::device_revocation(self.provider, &self.config, &self.state, request, now);
        self.step(result)
    }

    fn deliver_wipes(&mut self, device: &Digest) -> Vec<Vec<u8>> {
        // the in-memory records never fail a read
        self.step(issuer::deliver_wipes(&self.state, device)).unwrap_or_default()
    }

    fn acknowledge_wipe(&mut self, receipt: &[u8], now: UnixTime) -> Result<()> {
        let writes = issuer::acknowledge_wipe(self.provider, &self.config, &self.state, receipt, now)?;
        self.state.apply(writes);
        Ok(())
    }

    fn register_card(&mut self, auth_serial: &[u8], sign_serial: &[u8], not_after: UnixTime) {
        // the in-memory records never fail a read
        if let Ok(writes) = issuer::register_card(&self.config, &self.state, auth_serial, sign_serial, not_after) {
            self.state.apply(writes);
        }
    }

    fn card_event(&mut self, holder: &[u8], event: CardEvent, now: UnixTime) -> Result<IssuerOutput> {
        let result = issuer::card_event(self.provider, &self.config, &self.state, holder, event, now);
        self.step(result)
    }

    fn observe(&self) -> IssuerObservation {
        self.state.observe()
    }

    fn load(&mut self, observation: IssuerObservation) -> Result<()> {
        self.state = IssuerState::from_observation(observation);
        Ok(())
    }
}

/// The reference status service.
#[derive(Clone)]
pub struct ReferenceStatus {
    provider: &'static dyn CryptoProvider,
    config: StatusConfig,
    state: StatusState,
}

impl ReferenceStatus {
    /// Status with `config`.
    pub fn new(provider: &'static dyn CryptoProvider, config: StatusConfig) -> Self {
        ReferenceStatus { provider, config, state: StatusState::default() }
    }

    /// Its configuration (keys, certificates and trust anchors; no state).
    pub fn config(&self) -> &StatusConfig {
        &self.config
    }

    /// The crypto provider it runs on.
    pub fn provider(&self) -> &'static dyn CryptoProvider {
        self.provider
    }
}

impl StatusRole for ReferenceStatus {
    fn fork(&self) -> Option<Box<dyn StatusRole>> {
        Some(Box::new(self.clone()))
    }

    fn apply_feed(&mut self, feed: &[u8], now: UnixTime) -> Result<()> {
        let writes = status::apply_feed(self.provider, &self.config, &self.state, feed, now)?;
        self.state.apply(writes);
        Ok(())
    }

    fn answer(&mut self, request: &[u8], now: UnixTime) -> Result<Vec<u8>> {
        let (writes, response) = status::answer(self.provider, &self.config, &self.state, request, now)?;
        self.state.apply(writes);
        Ok(response)
    }

    fn list(&mut self, chunk: u64, now: UnixTime) -> Result<Vec<u8>> {
        status::publish_chunk(self.provider, &self.config, &self.state, chunk, now)
    }

    fn observe(&self) -> StatusObservation {
        self.state.observe()
    }

    fn load(&mut self, observation: StatusObservation) -> Result<()> {
        self.state = StatusState::from_observation(observation);
        Ok(())
    }
}

/// The reference verifier.
#[derive(Clone)]
pub struct ReferenceVerifier {
    provider: &'static dyn CryptoProvider,
    config: VerifierConfig,
    state: VerifierState,
    entropy: SeededEntropy,
    adopted: VecDeque<Nonce>,
}

impl ReferenceVerifier {
    /// A verifier with `config`.
    pub fn new(provider: &'static dyn CryptoProvider, config: VerifierConfig, entropy: SeededEntropy) -> Self {
        ReferenceVerifier { provider, config, state: VerifierState::default(), entropy, adopted: VecDeque::new() }
    }

    /// Its configuration (for tests that sign as this verifier).
    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// The crypto provider it runs on.
    pub fn provider(&self) -> &'static dyn CryptoProvider {
        self.provider
    }
}

impl VerifierRole for ReferenceVerifier {
    fn fork(&self) -> Option<Box<dyn VerifierRole>> {
        Some(Box::new(self.clone()))
    }

    fn rp_id(&self) -> &str {
        &self.config.rp_id
    }

    fn adopt_nonces(&mut self, nonces: Vec<Nonce>) {
        self.adopted = nonces.into();
    }

    fn request(&mut self, kind: Kind, purpose: &str, digest: Option<Digest>, now: UnixTime) -> Result<Vec<u8>> {
        // the seeded stream moves on either way, so adopting changes nothing else
        let mut entropy = Adopting { inner: &mut self.entropy, next: self.adopted.pop_front() };
        let (writes, bytes) = verifier::request(&self.config, &self.state, kind, purpose, digest, &mut entropy, now)?;
        self.state.apply(writes);
        Ok(bytes)
    }

    fn verify(
        &mut self,
        assertion: &[u8],
        now: UnixTime,
        status: &mut dyn FnMut(Vec<u8>) -> StatusAnswer,
    ) -> Result<(Vec<u8>, u32)> {
        let checked = verifier::check_assertion(self.provider, &self.config, &self.state, assertion, now);
        if checked.is_err() && crate::mutants::Mutation::QueryStatusFirst.disables(self.config.mutation) {
            if let Some(query) = verifier::premature_query(self.provider, &self.config, assertion) {
                status(query);
            }
        }
        let (pending, status_request) = checked?;
        let answer = status(status_request);
        let writes = verifier::complete(self.provider, &self.config, &self.state, &pending, &answer, now)?;
        self.state.apply(writes);
        Ok((pending.serial, pending.counter))
    }

    fn mdoc_request(&mut self, elements: &[String], now: UnixTime) -> Result<Vec<u8>> {
        let mut entropy = Adopting { inner: &mut self.entropy, next: self.adopted.pop_front() };
        let (writes, bytes) = verifier::mdoc_request(&self.config, &self.state, elements, &mut entropy, now)?;
        self.state.apply(writes);
        Ok(bytes)
    }

    fn mdoc_verify(
        &mut self,
        presentation: &[u8],
        now: UnixTime,
        status: &mut dyn FnMut(Vec<u8>) -> StatusAnswer,
    ) -> Result<Vec<u8>> {
        let (pending, reading, status_request) =
            verifier::check_mdoc(self.provider, &self.config, &self.state, presentation, now)?;
        let answer = status(status_request);
        let writes = verifier::complete_mdoc(self.provider, &self.config, &self.state, &pending, &answer, now)?;
        self.state.apply(writes);
        use crate::msgs::Message;
        reading.to_bytes()
    }

    fn observe(&self) -> VerifierObservation {
        self.state.observe()
    }

    fn load(&mut self, observation: VerifierObservation) -> Result<()> {
        self.state = VerifierState::from_observation(observation);
        Ok(())
    }
}

/// The reference device.
#[derive(Clone)]
pub struct ReferenceDevice {
    provider: &'static dyn CryptoProvider,
    config: DeviceConfig,
    state: DeviceState,
    wipes_done: WipeReceipts,
    mobile_anchor: TrustAnchor,
    entropy: SeededEntropy,
    played_by_suite: bool,
}

impl ReferenceDevice {
    /// This device, played by the suite itself: it answers
    /// [`DeviceRole::suite_secret`], so checks may forge with its keys what
    /// no conforming wallet sends. Never a wallet under test.
    pub fn played_by_suite(mut self) -> Self {
        self.played_by_suite = true;
        self
    }

    /// A device with `config`, trusting `mobile_anchor` for wipe commands.
    pub fn new(
        provider: &'static dyn CryptoProvider,
        config: DeviceConfig,
        mobile_anchor: TrustAnchor,
        entropy: SeededEntropy,
    ) -> Self {
        ReferenceDevice {
            provider,
            config,
            state: DeviceState::default(),
            wipes_done: WipeReceipts::new(),
            mobile_anchor,
            entropy,
            played_by_suite: false,
        }
    }
}

impl DeviceRole for ReferenceDevice {
    fn fork(&self) -> Option<Box<dyn DeviceRole>> {
        Some(Box::new(self.clone()))
    }

    fn digest(&self) -> Result<Digest> {
        self.config.digest(self.provider)
    }

    fn prepare_issuance(&mut self, challenge: &[u8], choice: &IssuanceChoice, now: UnixTime) -> Result<Vec<u8>> {
        let (next, payload) = device::prepare_issuance(
            self.provider,
            &self.config,
            &self.state,
            challenge,
            choice,
            &mut self.entropy,
            now,
        )?;
        self.state = next;
        Ok(payload)
    }

    fn request_issuance(
        &mut self,
        challenge: &[u8],
        choice: &IssuanceChoice,
        now: UnixTime,
        card: &mut dyn CardAccess,
    ) -> Result<Vec<u8>> {
        let (next, payload) = device::prepare_issuance(
            self.provider,
            &self.config,
            &self.state,
            challenge,
            choice,
            &mut self.entropy,
            now,
        )?;
        let sign_cert = card.certificate(CardKey::Sign)?;
        let auth_cert = card.certificate(CardKey::Auth)?;
        let request =
            device::assemble_issuance_request(&payload, &sign_cert, &auth_cert, |key, tbs| card.sign(key, tbs));
        if request.is_err() && crate::mutants::Mutation::AskPinAfterRefusal.disables(self.config.mutation) {
            // the mutant goes on to the auth PIN after a refused sign password
            let _ = card.sign(CardKey::Auth, &payload);
        }
        let request = request?;
        self.state = next;
        Ok(request)
    }

    fn install(&mut self, response: &[u8], now: UnixTime) -> Result<()> {
        self.state = device::install(self.provider, &self.state, response, &self.mobile_anchor, now)?;
        Ok(())
    }

    fn assert(&mut self, use_request: &[u8], uv: UserVerification, now: UnixTime) -> Result<Vec<u8>> {
        let (next, bytes) = device::assert(self.provider, &self.config, &self.state, use_request, uv, now)?;
        self.state = next;
        Ok(bytes)
    }

    fn sign_lifecycle(&mut self, payload: &[u8], uv: UserVerification) -> Result<Vec<u8>> {
        device::sign_lifecycle(self.provider, &self.config, &self.state, payload, uv)
    }

    fn present_mdoc(
        &mut self,
        request: &[u8],
        approved: &[String],
        uv: UserVerification,
        _now: UnixTime,
    ) -> Result<Vec<u8>> {
        let (next, bytes) = device::present_mdoc(self.provider, &self.config, &self.state, request, approved, uv)?;
        self.state = next;
        Ok(bytes)
    }

    fn installed_serials(&self) -> Result<Vec<Vec<u8>>> {
        Ok(device::installed_serials(self.provider, &self.state)?.into_iter().map(|(_, s)| s).collect())
    }

    fn apply_wipe(&mut self, command: &[u8], now: UnixTime) -> Result<Vec<u8>> {
        let (next, done, receipt) =
            device::apply_wipe(self.provider, &self.state, &self.wipes_done, command, &self.mobile_anchor, now)?;
        self.state = next;
        self.wipes_done = done;
        Ok(receipt)
    }

    fn release(&mut self) {
        // QUA-015: the qualification mdocs go with the certificates
        self.state.installed.clear();
        self.state.mdocs.clear();
    }

    fn observe(&self) -> DeviceObservation {
        self.state.observe()
    }

    fn suite_secret(&self, kind: Kind) -> Option<SecretKey> {
        let key = self.state.installed.get(&kind).filter(|_| self.played_by_suite)?;
        Some(key.key.secret.clone())
    }
}

/// The verifier's seeded stream with an adopted nonce laid over its next draw.
struct Adopting<'a> {
    inner: &'a mut SeededEntropy,
    next: Option<Nonce>,
}

impl Entropy for Adopting<'_> {
    fn fill(&mut self, out: &mut [u8]) {
        self.inner.fill(out);
        if out.len() == std::mem::size_of::<Nonce>() {
            if let Some(nonce) = self.next.take() {
                out.copy_from_slice(&nonce);
            }
        }
    }
}
