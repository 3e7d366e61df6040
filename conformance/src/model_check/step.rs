//! One explored state and its transitions: what each action does to the
//! world, the messages in flight, and the attacker's memory.

use jpki_reference::device::UserVerification;
use jpki_reference::issuer::CardEvent;
use jpki_reference::msgs::lifecycle::HolderAction;
use jpki_reference::msgs::status::RevocationReason;
use jpki_reference::msgs::{Kind, UvMethod};
use jpki_reference::observation::VerifierObservation;
use jpki_reference::world::{FlowError, GOV_RP, Hop, IssueParams, LifecycleParams, MigrationPlan, SHOP_RP, World};

use super::action::{Action, Bounds, DEVICES, HOLDER};
use crate::checks::surgery::{edit_issuance_on, feed_forged_by_verifier, share_one_key};

const RPS: [&str; 2] = [GOV_RP, SHOP_RP];

/// Where a message on the wire goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    /// A path-A intent to the Issuer; the answer is installed on `new`.
    Migration { new: usize },
    /// An assertion to the verifier `rp`.
    Assertion { rp: usize },
    /// A device revocation to the Issuer, from `device`.
    Revocation { device: usize },
    /// A StatusFeed to Status.
    Feed,
}

/// A message on the wire: in flight, or kept by the attacker.
#[derive(Clone, Debug)]
pub(super) struct Sent {
    to: Endpoint,
    bytes: Vec<u8>,
    /// For a retry after a lost answer: the answer the first delivery got.
    first_answer: Option<Vec<u8>>,
    /// For an assertion: the verifier it was made for.
    made_for: usize,
    /// For an assertion: a `sign` use the holder verified by the passcode.
    sign_on_passcode: bool,
}

impl Sent {
    fn new(to: Endpoint, bytes: Vec<u8>) -> Sent {
        let made_for = match to {
            Endpoint::Assertion { rp } => rp,
            _ => 0,
        };
        Sent { to, bytes, first_answer: None, made_for, sign_on_passcode: false }
    }

    /// Whether it is an assertion (replayed to either verifier).
    pub(super) fn is_assertion(&self) -> bool {
        matches!(self.to, Endpoint::Assertion { .. })
    }

    /// What identifies it in a state's fingerprint.
    pub(super) fn identity(&self) -> ciborium::Value {
        use ciborium::Value;
        let (tag, index) = match self.to {
            Endpoint::Migration { new } => (0, new),
            Endpoint::Assertion { rp } => (1, rp),
            Endpoint::Revocation { device } => (2, device),
            Endpoint::Feed => (3, 0),
        };
        let first = self.first_answer.clone().map_or(Value::Null, Value::Bytes);
        let (made_for, passcode) = (Value::from(self.made_for as u64), Value::Bool(self.sign_on_passcode));
        let bytes = Value::Bytes(self.bytes.clone());
        Value::Array(vec![Value::from(tag), Value::from(index as u64), bytes, first, made_for, passcode])
    }
}

/// One explored state.
pub(super) struct Node {
    pub(super) world: World,
    pub(super) in_flight: Vec<Sent>,
    /// The attacker's memory: the first messages it saw, at most `Bounds::memory`.
    pub(super) memory: Vec<Sent>,
    pub(super) clock_steps: usize,
    pub(super) trace: Vec<Action>,
    /// What the explorer judged itself on this step: a retried request
    /// that did not get its first answer (INV-012), or an attacker's goal
    /// reached (a capability of `spec/threat-model.md` that should fail).
    pub(super) violation: Option<String>,
}

type Answer = Result<Vec<u8>, FlowError>;

impl Node {
    pub(super) fn new(world: World) -> Node {
        Node { world, in_flight: Vec::new(), memory: Vec::new(), clock_steps: 0, trace: Vec::new(), violation: None }
    }

    pub(super) fn fork(&self) -> Result<Node, String> {
        Ok(Node {
            world: self.world.fork().ok_or("the world's roles cannot be forked")?,
            in_flight: self.in_flight.clone(),
            memory: self.memory.clone(),
            clock_steps: self.clock_steps,
            trace: self.trace.clone(),
            violation: None,
        })
    }

    /// Applies `action`; returns whether the protocol accepted it. The
    /// attacker remembers what went on the wire, while it has room.
    pub(super) fn apply(&mut self, action: &Action, bounds: &Bounds) -> bool {
        let feeds_before = self.world.sent_feeds().len();
        let in_flight_before = self.in_flight.len();
        let accepted = self.act(action);
        let mut seen: Vec<Sent> = self.world.sent_feeds()[feeds_before..]
            .iter()
            .map(|bytes| Sent::new(Endpoint::Feed, bytes.clone()))
            .collect();
        if self.in_flight.len() > in_flight_before && !matches!(action, Action::DeliverLosingAnswer { .. }) {
            seen.extend(self.in_flight.last().cloned());
        }
        for sent in seen {
            if self.memory.len() < bounds.memory {
                self.memory.push(Sent { first_answer: None, ..sent });
            }
        }
        accepted
    }

    fn send(&mut self, to: Endpoint, made: Answer) -> bool {
        match made {
            Ok(bytes) => {
                self.in_flight.push(Sent::new(to, bytes));
                true
            }
            Err(_) => false,
        }
    }

    fn act(&mut self, action: &Action) -> bool {
        // each request gets its own idempotency key: the depth it is made at
        let tag = u8::try_from(self.trace.len() + 1).unwrap_or(u8::MAX);
        let key = LifecycleParams::with_key(tag);
        let w = &mut self.world;
        match *action {
            Action::Issue { device } => w.issue(HOLDER, DEVICES[device], &IssueParams::both(tag)).is_ok(),
            Action::IssueAuth { device } => {
                let params = IssueParams { kinds: vec![Kind::Auth], ..IssueParams::both(tag) };
                w.issue(HOLDER, DEVICES[device], &params).is_ok()
            }
            Action::IssueSharedKey { device } => {
                let issued = edit_issuance_on(w, HOLDER, DEVICES[device], &IssueParams::both(tag), |payload, _, _| {
                    share_one_key(payload)
                });
                // the Issuer took it even when the wallet then refused the answer (ISS-010)
                let certified = issued.as_ref().map_or_else(|e| e.hop == Hop::IssuanceResponse, |_| true);
                if certified {
                    self.violation = Some("threat A2.5: one SE key was certified for both kinds (ISS-011)".into());
                }
                certified
            }
            Action::MigrateWithCard { old, new } => {
                let replaces = w.installed_serials(DEVICES[old]).unwrap_or_default();
                w.migrate_with_card(HOLDER, DEVICES[new], replaces, tag).is_ok()
            }
            Action::StartMigration { old, new } => {
                let intent = w.migration_intent(DEVICES[old], DEVICES[new], &key);
                self.send(Endpoint::Migration { new }, intent)
            }
            Action::MigrateExtraKinds { old, new } => {
                let replaces = w.installed_serials(DEVICES[old]).unwrap_or_default();
                let plan = MigrationPlan { replaces, kinds: Kind::ALL.to_vec() };
                let intent = w.migration_intent_with(DEVICES[old], DEVICES[new], &plan, &key);
                self.send(Endpoint::Migration { new }, intent)
            }
            Action::MigrateOnPasscode { old, new } => {
                let params = LifecycleParams { uv_method: UvMethod::Passcode, ..key };
                let intent = w.migration_intent(DEVICES[old], DEVICES[new], &params);
                self.send(Endpoint::Migration { new }, intent)
            }
            Action::StartUse { device, rp } => {
                let asked = w.use_request(RPS[rp], Kind::Auth, "log in", None);
                let answered =
                    asked.and_then(|request| w.assertion(DEVICES[device], &request, UserVerification::BIOMETRIC));
                self.send(Endpoint::Assertion { rp }, answered)
            }
            Action::SignOnPasscode { device } => {
                let digest = w.provider().sha256(b"contract");
                let asked = w.use_request(GOV_RP, Kind::Sign, "sign", Some(digest));
                let answered =
                    asked.and_then(|request| w.assertion(DEVICES[device], &request, UserVerification::PASSCODE));
                let sent = self.send(Endpoint::Assertion { rp: 0 }, answered);
                if let (true, Some(last)) = (sent, self.in_flight.last_mut()) {
                    last.sign_on_passcode = true;
                }
                sent
            }
            Action::UseWithoutUv { device } => {
                let asked = w.use_request(SHOP_RP, Kind::Auth, "log in", None);
                let signed = asked.and_then(|request| w.assertion(DEVICES[device], &request, UserVerification::NONE));
                if signed.is_ok() {
                    self.violation = Some("threat A2.6: the SE signed without user verification (DEV-001)".into());
                }
                signed.is_ok()
            }
            Action::StartRevocation { device } => {
                let request = w.device_revocation_request(DEVICES[device], RevocationReason::HolderRequest, &key);
                self.send(Endpoint::Revocation { device }, request)
            }
            Action::Deliver { index } => {
                let sent = self.in_flight.remove(index);
                self.deliver(&sent, true)
            }
            Action::DeliverLosingAnswer { index } => {
                let mut sent = self.in_flight.remove(index);
                match self.deliver_answer(&sent, false) {
                    Ok(answer) => {
                        // the sender heard nothing and sends the same request again
                        sent.first_answer = sent.first_answer.or(Some(answer));
                        self.in_flight.push(sent);
                        true
                    }
                    Err(_) => false,
                }
            }
            Action::Drop { index } => {
                self.in_flight.remove(index);
                true
            }
            Action::Replay { known, rp } => {
                let mut sent = self.memory[known].clone();
                if let Endpoint::Assertion { .. } = sent.to {
                    sent.to = Endpoint::Assertion { rp };
                }
                self.deliver(&sent, true)
            }
            Action::ForgeFeed { device } => match feed_forged_by_verifier(w, DEVICES[device]) {
                Ok(feed) => w.status_feed_judges(&feed).is_ok(),
                Err(_) => false,
            },
            Action::Hold { action } => {
                let action = [HolderAction::Suspend, HolderAction::Resume, HolderAction::ReportLost][action];
                w.holder_action(HOLDER, action, &key).is_ok()
            }
            Action::CardRevoked => w.card_event(HOLDER, CardEvent::AuthRevoked).is_ok(),
            Action::Online { device } => {
                w.set_online(DEVICES[device], true);
                w.sync_device(DEVICES[device]).is_ok()
            }
            Action::Advance => {
                self.clock_steps += 1;
                let step = jpki_reference::constants::NONCE_LIFETIME_SECS
                    .max(jpki_reference::constants::STATUS_FRESHNESS_SECS);
                w.advance(step + 1);
                true
            }
        }
    }

    /// Delivers `sent`; a retry must get the answer its first delivery got
    /// (INV-012), which is recorded as a violation otherwise. A retried
    /// migration is judged at the Issuer before the new device installs the
    /// answer: a wallet that cannot install it is not the Issuer's fault.
    fn deliver(&mut self, sent: &Sent, answered: bool) -> bool {
        let (Some(first), Endpoint::Migration { new }) = (&sent.first_answer, sent.to) else {
            return self.delivered(sent, answered);
        };
        // the Issuer's answer is judged; then the new device installs it
        let answer = self.world.issuer_judges_at("migrate", &sent.bytes);
        self.judge_retry(first, &answer);
        match answer {
            Ok(answer) => self.world.device_judges(DEVICES[new], "issuance_response", &answer).is_ok(),
            Err(_) => false,
        }
    }

    /// Delivers `sent` as its endpoint takes it, judging a retry's answer.
    fn delivered(&mut self, sent: &Sent, answered: bool) -> bool {
        let answer = self.deliver_answer(sent, answered);
        if let Some(first) = &sent.first_answer {
            self.judge_retry(first, &answer);
        }
        answer.is_ok()
    }

    /// A retry must get the answer its first delivery got (INV-012).
    fn judge_retry(&mut self, first: &[u8], answer: &Answer) {
        if answer.as_ref().is_ok_and(|a| a == first) {
            return;
        }
        let got = answer.as_ref().map_or_else(|e| e.code().as_str().to_owned(), |_| "another answer".into());
        self.violation = Some(format!("invariant 12: a retried request got {got}, not its first answer"));
    }

    /// Delivers `sent` to its endpoint; `answered == false` loses the answer
    /// after the receiver's commit (nothing reaches the sender).
    fn deliver_answer(&mut self, sent: &Sent, answered: bool) -> Answer {
        let w = &mut self.world;
        match (sent.to, answered) {
            (Endpoint::Migration { new }, true) => w.submit_migration(DEVICES[new], &sent.bytes),
            (Endpoint::Migration { .. }, false) => w.issuer_judges_at("migrate", &sent.bytes),
            (Endpoint::Revocation { device }, true) => w.submit_device_revocation(DEVICES[device], &sent.bytes),
            (Endpoint::Revocation { .. }, false) => w.issuer_judges_at("device_revocation", &sent.bytes),
            (Endpoint::Assertion { rp }, _) => {
                let before = verifier_state(w, rp);
                let accepted = w.verify(RPS[rp], &sent.bytes).map(|_| Vec::new());
                if accepted.is_ok() {
                    self.violation = attack_on_use(sent, rp, &before, &verifier_state(&self.world, rp));
                }
                accepted
            }
            (Endpoint::Feed, _) => w.status_feed_judges(&sent.bytes).map(|()| Vec::new()),
        }
    }
}

/// The verifier `rp`'s state.
fn verifier_state(w: &World, rp: usize) -> VerifierObservation {
    w.observe().verifiers.get(RPS[rp]).cloned().unwrap_or_default()
}

/// The attacker's goal an accepted assertion reaches, if any: a `sign` use
/// on the passcode (A2.1), an assertion accepted by a verifier it was not
/// made for (A1.2), a use that consumed no new nonce (A1.1), or one whose
/// counter did not rise above the last accepted (A1.15).
fn attack_on_use(sent: &Sent, rp: usize, before: &VerifierObservation, after: &VerifierObservation) -> Option<String> {
    let consumed = |v: &VerifierObservation| v.nonces.values().filter(|n| n.consumed).count();
    let rose = after.counters.iter().any(|(serial, counter)| before.counters.get(serial).is_none_or(|b| counter > b));
    if sent.sign_on_passcode {
        return Some("threat A2.1: a sign use verified by the passcode was accepted (USE-005)".into());
    }
    if sent.made_for != rp {
        let (made_for, by) = (RPS[sent.made_for], RPS[rp]);
        return Some(format!("threat A1.2: an assertion made for {made_for} was accepted by {by} (USE-001)"));
    }
    if consumed(after) == consumed(before) {
        return Some(format!("threat A1.1: {} accepted a nonce a second time (NON-002)", RPS[rp]));
    }
    if !rose {
        return Some(format!("threat A1.15: {} accepted a counter not above the last it saw (USE-006)", RPS[rp]));
    }
    None
}
