//! One trait per role, speaking the wire messages as bytes, plus the test
//! controls a conformance run needs (observe the state as a snapshot
//! comparable with the model's). The world harness drives every role only
//! through these traits, so any of them can be a system under test: the
//! reference (this module's `Reference*` types, the default), a built-in
//! mutant, or a third-party implementation behind a binding.
//!
//! The clock is passed into every call (`now`); a binding for an external
//! implementation forwards it as its "set clock" control.

use crate::card::CardKey;
use crate::crypto::{CryptoProvider, SeededEntropy};
use crate::device::{self, DeviceConfig, DeviceState, IssuanceChoice, UserVerification, WipeReceipts};
use crate::error::Result;
use crate::issuer::{self, CardEvent, IssuerConfig, IssuerOutput, IssuerState};
use crate::msgs::{Digest, Kind};
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
    /// Observe: the registry, sessions, idempotency records, outbox, wipes.
    fn snapshot(&self) -> IssuerState;
    /// Control: replace the stored state (fixed vectors set up their fixture).
    fn load_state(&mut self, state: IssuerState) -> Result<()>;
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
    /// Observe: entries, usage log, outbox.
    fn snapshot(&self) -> StatusState;
    /// Control: replace the stored state (fixed vectors set up their fixture).
    fn load_state(&mut self, state: StatusState) -> Result<()>;
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
    /// Observe: nonces and counters.
    fn snapshot(&self) -> VerifierState;
    /// Control: replace the stored state (fixed vectors set up their fixture).
    fn load_state(&mut self, state: VerifierState) -> Result<()>;
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
    fn install(&mut self, response: &[u8]) -> Result<()>;
    /// Answers a UseRequest after user verification.
    fn assert(&mut self, use_request: &[u8], uv: UserVerification, now: UnixTime) -> Result<Vec<u8>>;
    /// Signs a lifecycle payload (migration intent, revocation) with its SE
    /// key, after user verification (`uv`, DEV-001).
    fn sign_lifecycle(&mut self, payload: &[u8], uv: UserVerification) -> Result<Vec<u8>>;
    /// The installed certificates' serials.
    fn installed_serials(&self) -> Result<Vec<Vec<u8>>>;
    /// Carries out a wipe command and returns the signed receipt.
    fn apply_wipe(&mut self, command: &[u8], now: UnixTime) -> Result<Vec<u8>>;
    /// Deletes every credential (after a release receipt).
    fn release(&mut self);
    /// Observe: SE keys, counters, installed certificates.
    fn snapshot(&self) -> DeviceState;
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

    fn step(&mut self, output: Result<(IssuerState, IssuerOutput)>) -> Result<IssuerOutput> {
        let (next, output) = output?;
        self.state = next;
        Ok(output)
    }
}

impl IssuerRole for ReferenceIssuer {
    fn fork(&self) -> Option<Box<dyn IssuerRole>> {
        Some(Box::new(self.clone()))
    }

    fn challenge(&mut self, now: UnixTime) -> Result<Vec<u8>> {
        let (next, bytes) = issuer::challenge(&self.config, &self.state, &mut self.entropy, now)?;
        self.state = next;
        Ok(bytes)
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
        let (next, commands) = issuer::deliver_wipes(&self.state, device);
        self.state = next;
        commands
    }

    fn acknowledge_wipe(&mut self, receipt: &[u8], now: UnixTime) -> Result<()> {
        self.state = issuer::acknowledge_wipe(self.provider, &self.config, &self.state, receipt, now)?;
        Ok(())
    }

    fn register_card(&mut self, auth_serial: &[u8], sign_serial: &[u8], not_after: UnixTime) {
        self.state = issuer::register_card(&self.config, &self.state, auth_serial, sign_serial, not_after);
    }

    fn card_event(&mut self, holder: &[u8], event: CardEvent, now: UnixTime) -> Result<IssuerOutput> {
        let result = issuer::card_event(self.provider, &self.config, &self.state, holder, event, now);
        self.step(result)
    }

    fn snapshot(&self) -> IssuerState {
        self.state.clone()
    }

    fn load_state(&mut self, state: IssuerState) -> Result<()> {
        self.state = state;
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
}

impl StatusRole for ReferenceStatus {
    fn fork(&self) -> Option<Box<dyn StatusRole>> {
        Some(Box::new(self.clone()))
    }

    fn apply_feed(&mut self, feed: &[u8], now: UnixTime) -> Result<()> {
        self.state = status::apply_feed(self.provider, &self.config, &self.state, feed, now)?;
        Ok(())
    }

    fn answer(&mut self, request: &[u8], now: UnixTime) -> Result<Vec<u8>> {
        let (next, response) = status::answer(self.provider, &self.config, &self.state, request, now)?;
        self.state = next;
        Ok(response)
    }

    fn snapshot(&self) -> StatusState {
        self.state.clone()
    }

    fn load_state(&mut self, state: StatusState) -> Result<()> {
        self.state = state;
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
}

impl ReferenceVerifier {
    /// A verifier with `config`.
    pub fn new(provider: &'static dyn CryptoProvider, config: VerifierConfig, entropy: SeededEntropy) -> Self {
        ReferenceVerifier { provider, config, state: VerifierState::default(), entropy }
    }

    /// Its configuration (for tests that sign as this verifier).
    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }
}

impl VerifierRole for ReferenceVerifier {
    fn fork(&self) -> Option<Box<dyn VerifierRole>> {
        Some(Box::new(self.clone()))
    }

    fn rp_id(&self) -> &str {
        &self.config.rp_id
    }

    fn request(&mut self, kind: Kind, purpose: &str, digest: Option<Digest>, now: UnixTime) -> Result<Vec<u8>> {
        let (next, bytes) =
            verifier::request(&self.config, &self.state, kind, purpose, digest, &mut self.entropy, now)?;
        self.state = next;
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
        self.state = verifier::complete(self.provider, &self.config, &self.state, &pending, &answer, now)?;
        Ok((pending.serial, pending.counter))
    }

    fn snapshot(&self) -> VerifierState {
        self.state.clone()
    }

    fn load_state(&mut self, state: VerifierState) -> Result<()> {
        self.state = state;
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
}

impl ReferenceDevice {
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

    fn install(&mut self, response: &[u8]) -> Result<()> {
        self.state = device::install(self.provider, &self.state, response)?;
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
        self.state.installed.clear();
    }

    fn snapshot(&self) -> DeviceState {
        self.state.clone()
    }
}
