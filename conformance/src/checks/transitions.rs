//! Which transitions of the protocol's state machines a step fired, read
//! from the world's observations before and after it (spec/state-machines.md).
//!
//! Only transitions that change what can be observed are named here; a
//! refusal that leaves a machine where it was (a locked card, a reused
//! nonce, a stale receipt) is judged by the checks that expect its code
//! and, on every step, by the invariant that a refusal changes nothing
//! (INV-011). The property runs count these transitions over their cases,
//! at every delivery and clock step of the model world (an operation may
//! take several: a hold and its lift), so that an operation mix that never
//! reaches one is seen, not assumed.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Mutex;

use jpki_reference::issuer::WipeState;
use jpki_reference::msgs::status::CertStatus;
use jpki_reference::observation::{DeviceObservation, WorldObservation};
use jpki_reference::time::UnixTime;

/// Every observable transition, `machine: from → to`, in the order of
/// spec/state-machines.md.
pub const ALL: &[&str] = &[
    "credential: (none) → active",
    "credential: active → suspended",
    "credential: suspended → active",
    "credential: active → revoked",
    "credential: suspended → revoked",
    "credential: active → expired",
    "card: failures n → n + 1",
    "card: failures n > 0 → 0",
    "issuance session: (none) → challenged",
    "issuance session: challenged → completed",
    "verifier nonce: (none) → issued",
    "verifier nonce: issued → consumed",
    "verifier counter: last c → k > c",
    "status usage: not notified → notified",
    "wipe command: (none) → queued",
    "wipe command: queued → delivered",
    "wipe command: delivered → acknowledged",
    "device key: (none) → pending",
    "device key: pending → installed",
    "device key: installed → counter + 1",
    "device key: installed → removed (wipe, release)",
];

/// A credential's observable state at `now`.
fn credential(status: &CertStatus, not_after: UnixTime, now: UnixTime) -> &'static str {
    match status {
        CertStatus::Revoked { .. } => "revoked",
        CertStatus::Suspended => "suspended",
        CertStatus::Good if now > not_after => "expired",
        CertStatus::Good => "active",
    }
}

/// The transitions one step fired, from the world before (at `then`) and
/// after (at `now`), each once per machine instance that took it.
pub fn fired(before: &WorldObservation, then: UnixTime, after: &WorldObservation, now: UnixTime) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut edge = |machine: &str, from: &str, to: &str| {
        let name = format!("{machine}: {from} → {to}");
        if let Some(known) = ALL.iter().find(|t| **t == name) {
            out.push(*known);
        }
    };
    for (serial, record) in &after.issuer.certs {
        let to = credential(&record.status, record.not_after, now);
        let from = before.issuer.certs.get(serial).map(|r| credential(&r.status, r.not_after, then));
        match from {
            None => edge("credential", "(none)", to),
            Some(from) if from != to => edge("credential", from, to),
            Some(_) => {}
        }
    }
    for (holder, card) in &after.cards {
        let Some(old) = before.cards.get(holder) else { continue };
        for (was, is) in [(old.sign_failures, card.sign_failures), (old.auth_failures, card.auth_failures)] {
            if is > was {
                edge("card", "failures n", "n + 1");
            } else if is == 0 && was > 0 {
                edge("card", "failures n > 0", "0");
            }
        }
    }
    // a machine born and moved on within one step took every edge on the way
    for (nonce, session) in &after.issuer.sessions {
        let old = before.issuer.sessions.get(nonce);
        if old.is_none() {
            edge("issuance session", "(none)", "challenged");
        }
        if session.completed && !old.is_some_and(|o| o.completed) {
            edge("issuance session", "challenged", "completed");
        }
    }
    for (rp, verifier) in &after.verifiers {
        let old = before.verifiers.get(rp);
        for (nonce, issued) in &verifier.nonces {
            let was = old.and_then(|o| o.nonces.get(nonce));
            if was.is_none() {
                edge("verifier nonce", "(none)", "issued");
            }
            if issued.consumed && !was.is_some_and(|w| w.consumed) {
                edge("verifier nonce", "issued", "consumed");
            }
        }
        for (serial, counter) in &verifier.counters {
            if old.and_then(|o| o.counters.get(serial)).is_none_or(|was| counter > was) {
                edge("verifier counter", "last c", "k > c");
            }
        }
    }
    for _ in before.status.usage_log.len()..after.status.usage_log.len() {
        edge("status usage", "not notified", "notified");
    }
    for (id, wipe) in &after.issuer.wipes {
        let rank = |state: &WipeState| match state {
            WipeState::Queued => 1,
            WipeState::Delivered => 2,
            WipeState::Acknowledged => 3,
        };
        let from = before.issuer.wipes.get(id).map_or(0, |old| rank(&old.state));
        let path = [("(none)", "queued"), ("queued", "delivered"), ("delivered", "acknowledged")];
        for (step, (a, b)) in path.iter().enumerate() {
            if from <= step && step < rank(&wipe.state) {
                edge("wipe command", a, b);
            }
        }
    }
    for (name, device) in &after.devices {
        let empty = DeviceObservation::default();
        let old = before.devices.get(name).unwrap_or(&empty);
        for (kind, key) in &device.pending {
            if old.pending.get(kind).is_none_or(|was| was.public != key.public) {
                edge("device key", "(none)", "pending");
            }
        }
        for (kind, key) in &device.installed {
            match old.installed.get(kind) {
                Some(was) if was.public == key.public => {
                    if key.counter > was.counter {
                        edge("device key", "installed", "counter + 1");
                    }
                }
                _ => {
                    if old.pending.get(kind).is_none_or(|p| p.public != key.public) {
                        edge("device key", "(none)", "pending");
                    }
                    edge("device key", "pending", "installed");
                }
            }
        }
        for kind in old.installed.keys() {
            if !device.installed.contains_key(kind) {
                edge("device key", "installed", "removed (wipe, release)");
            }
        }
    }
    out
}

thread_local! {
    static TALLY: RefCell<Option<Tally>> = const { RefCell::new(None) };
}

/// Starts counting the transitions this thread's steps fire (see [`record`]).
pub fn start_counting() {
    TALLY.with(|t| *t.borrow_mut() = Some(ALL.iter().map(|name| (*name, 0)).collect()));
}

/// Adds a step's transitions to this thread's count, if one was started.
pub fn record(transitions: &[&'static str]) {
    TALLY.with(|t| {
        if let Some(tally) = t.borrow_mut().as_mut() {
            for name in transitions {
                *tally.entry(name).or_default() += 1;
            }
        }
    });
}

/// A world's step observer ([`World::observe_steps`](jpki_reference::world::World::observe_steps)):
/// counts the step's transitions if this thread is counting.
pub fn record_step(before: &WorldObservation, then: UnixTime, after: &WorldObservation, now: UnixTime) {
    if TALLY.with(|t| t.borrow().is_some()) {
        record(&fired(before, then, after, now));
    }
}

/// Ends counting and returns every transition with how often it fired.
pub fn stop_counting() -> Tally {
    TALLY.with(|t| t.borrow_mut().take()).unwrap_or_default()
}

/// How often each transition fired, by name.
pub type Tally = BTreeMap<&'static str, u64>;

/// The tallies of finished property runs, by SUT name and check seed.
static FINISHED: Mutex<BTreeMap<(String, [u8; 32]), Tally>> = Mutex::new(BTreeMap::new());

/// Keeps a finished property run's tally for [`fired_in`].
pub fn publish(sut: String, seed: [u8; 32], tally: Tally) {
    if let Ok(mut finished) = FINISHED.lock() {
        finished.insert((sut, seed), tally);
    }
}

/// The transitions the property run of SUT `sut` (its [`name`](super::context::Sut::name))
/// with check seed `seed` fired, once it has finished.
pub fn fired_in(sut: &str, seed: &[u8; 32]) -> Option<Tally> {
    FINISHED.lock().ok().and_then(|finished| finished.get(&(sut.to_owned(), *seed)).cloned())
}

/// The transitions of [`ALL`] that `tally` never saw fire.
pub fn never_fired(tally: &Tally) -> Vec<&'static str> {
    ALL.iter().copied().filter(|name| tally.get(name).copied().unwrap_or(0) == 0).collect()
}
