//! The SUT's roles (whatever their binding), each wrapped so that a
//! protocol message reaching it is recorded ([`context::drove`]). The runner uses the record
//! to refuse a pass that never drove the role a check targets: a pass is
//! earned by driving the SUT, never borrowed from the suite's own code.
//! Snapshots, state loads and card registration are controls and observations,
//! not protocol messages, so they are not recorded.

use jpki_reference::Result;
use jpki_reference::device::{IssuanceChoice, UserVerification};
use jpki_reference::issuer::{CardEvent, IssuerOutput};
use jpki_reference::msgs::{Digest, Kind, Nonce};
use jpki_reference::observation::{DeviceObservation, IssuerObservation, StatusObservation, VerifierObservation};
use jpki_reference::roles::{CardAccess, DeviceRole, IssuerRole, StatusRole, VerifierRole};
use jpki_reference::time::UnixTime;
use jpki_reference::verifier::StatusAnswer;

use super::Role;
use super::context::drove;

/// A role whose protocol messages are recorded: the one definition of which
/// role methods carry protocol messages, used for in-process SUTs and for
/// the roles a shim adapter serves alike.
pub(crate) struct Recorded<T: ?Sized>(pub(crate) Box<T>);

impl IssuerRole for Recorded<dyn IssuerRole> {
    fn challenge(&mut self, now: UnixTime) -> Result<Vec<u8>> {
        drove(Role::Issuer);
        self.0.challenge(now)
    }
    fn issue(&mut self, request: &[u8], now: UnixTime) -> Result<IssuerOutput> {
        drove(Role::Issuer);
        self.0.issue(request, now)
    }
    fn migrate(&mut self, intent: &[u8], now: UnixTime) -> Result<IssuerOutput> {
        drove(Role::Issuer);
        self.0.migrate(intent, now)
    }
    fn holder_action(&mut self, request: &[u8], now: UnixTime) -> Result<IssuerOutput> {
        drove(Role::Issuer);
        self.0.holder_action(request, now)
    }
    fn device_revocation(&mut self, request: &[u8], now: UnixTime) -> Result<IssuerOutput> {
        drove(Role::Issuer);
        self.0.device_revocation(request, now)
    }
    fn deliver_wipes(&mut self, device: &Digest) -> Vec<Vec<u8>> {
        drove(Role::Issuer);
        self.0.deliver_wipes(device)
    }
    fn acknowledge_wipe(&mut self, receipt: &[u8], now: UnixTime) -> Result<()> {
        drove(Role::Issuer);
        self.0.acknowledge_wipe(receipt, now)
    }
    fn register_card(&mut self, auth_serial: &[u8], sign_serial: &[u8], not_after: UnixTime) {
        self.0.register_card(auth_serial, sign_serial, not_after);
    }
    fn card_event(&mut self, holder: &[u8], event: CardEvent, now: UnixTime) -> Result<IssuerOutput> {
        drove(Role::Issuer);
        self.0.card_event(holder, event, now)
    }
    fn observe(&self) -> IssuerObservation {
        self.0.observe()
    }
    fn load(&mut self, observation: IssuerObservation) -> Result<()> {
        self.0.load(observation)
    }
    fn fork(&self) -> Option<Box<dyn IssuerRole>> {
        Some(Box::new(Recorded(self.0.fork()?)))
    }
}

impl StatusRole for Recorded<dyn StatusRole> {
    fn apply_feed(&mut self, feed: &[u8], now: UnixTime) -> Result<()> {
        drove(Role::Status);
        self.0.apply_feed(feed, now)
    }
    fn answer(&mut self, request: &[u8], now: UnixTime) -> Result<Vec<u8>> {
        drove(Role::Status);
        self.0.answer(request, now)
    }
    fn list(&mut self, chunk: u64, now: UnixTime) -> Result<Vec<u8>> {
        drove(Role::Status);
        self.0.list(chunk, now)
    }
    fn observe(&self) -> StatusObservation {
        self.0.observe()
    }
    fn load(&mut self, observation: StatusObservation) -> Result<()> {
        self.0.load(observation)
    }
    fn fork(&self) -> Option<Box<dyn StatusRole>> {
        Some(Box::new(Recorded(self.0.fork()?)))
    }
}

impl VerifierRole for Recorded<dyn VerifierRole> {
    fn rp_id(&self) -> &str {
        self.0.rp_id()
    }
    fn adopt_nonces(&mut self, nonces: Vec<Nonce>) {
        self.0.adopt_nonces(nonces)
    }
    fn request(&mut self, kind: Kind, purpose: &str, digest: Option<Digest>, now: UnixTime) -> Result<Vec<u8>> {
        drove(Role::Verifier);
        self.0.request(kind, purpose, digest, now)
    }
    fn verify(
        &mut self,
        assertion: &[u8],
        now: UnixTime,
        status: &mut dyn FnMut(Vec<u8>) -> StatusAnswer,
    ) -> Result<(Vec<u8>, u32)> {
        drove(Role::Verifier);
        self.0.verify(assertion, now, status)
    }
    fn mdoc_request(&mut self, elements: &[String], now: UnixTime) -> Result<Vec<u8>> {
        drove(Role::Verifier);
        self.0.mdoc_request(elements, now)
    }
    fn mdoc_verify(
        &mut self,
        presentation: &[u8],
        now: UnixTime,
        status: &mut dyn FnMut(Vec<u8>) -> StatusAnswer,
    ) -> Result<Vec<u8>> {
        drove(Role::Verifier);
        self.0.mdoc_verify(presentation, now, status)
    }
    fn observe(&self) -> VerifierObservation {
        self.0.observe()
    }
    fn load(&mut self, observation: VerifierObservation) -> Result<()> {
        self.0.load(observation)
    }
    fn fork(&self) -> Option<Box<dyn VerifierRole>> {
        Some(Box::new(Recorded(self.0.fork()?)))
    }
}

impl DeviceRole for Recorded<dyn DeviceRole> {
    fn digest(&self) -> Result<Digest> {
        self.0.digest()
    }
    fn prepare_issuance(&mut self, challenge: &[u8], choice: &IssuanceChoice, now: UnixTime) -> Result<Vec<u8>> {
        drove(Role::Device);
        self.0.prepare_issuance(challenge, choice, now)
    }
    fn request_issuance(
        &mut self,
        challenge: &[u8],
        choice: &IssuanceChoice,
        now: UnixTime,
        card: &mut dyn CardAccess,
    ) -> Result<Vec<u8>> {
        drove(Role::Device);
        self.0.request_issuance(challenge, choice, now, card)
    }
    fn install(&mut self, response: &[u8], now: UnixTime) -> Result<()> {
        drove(Role::Device);
        self.0.install(response, now)
    }
    fn assert(&mut self, use_request: &[u8], uv: UserVerification, now: UnixTime) -> Result<Vec<u8>> {
        drove(Role::Device);
        self.0.assert(use_request, uv, now)
    }
    fn sign_lifecycle(&mut self, payload: &[u8], uv: UserVerification) -> Result<Vec<u8>> {
        drove(Role::Device);
        self.0.sign_lifecycle(payload, uv)
    }
    fn present_mdoc(
        &mut self,
        request: &[u8],
        approved: &[String],
        uv: UserVerification,
        now: UnixTime,
    ) -> Result<Vec<u8>> {
        drove(Role::Device);
        self.0.present_mdoc(request, approved, uv, now)
    }
    fn installed_serials(&self) -> Result<Vec<Vec<u8>>> {
        self.0.installed_serials()
    }
    fn apply_wipe(&mut self, command: &[u8], now: UnixTime) -> Result<Vec<u8>> {
        drove(Role::Device);
        self.0.apply_wipe(command, now)
    }
    fn release(&mut self) {
        drove(Role::Device);
        self.0.release();
    }
    fn observe(&self) -> DeviceObservation {
        self.0.observe()
    }
    fn fork(&self) -> Option<Box<dyn DeviceRole>> {
        Some(Box::new(Recorded(self.0.fork()?)))
    }
}
