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
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{LazyLock, Mutex};

use jpki_reference::card::{CardKey, tries};
use jpki_reference::issuer::WipeState;
use jpki_reference::machines::{self, Machine, NONE};
use jpki_reference::msgs::status::CertStatus;
use jpki_reference::observation::{DeviceObservation, WorldObservation};
use jpki_reference::time::UnixTime;

/// Every observable transition of [`machines::ALL`], named `machine: from → to`.
static NAMES: LazyLock<Vec<String>> = LazyLock::new(|| {
    machines::ALL
        .iter()
        .flat_map(|m| m.transitions.iter().filter(|t| t.unobserved.is_none()).map(|t| t.name(m)))
        .collect()
});

/// Every observable transition, `machine: from → to`, in the order of
/// [`machines::ALL`] (spec/state-machines.md).
pub fn all() -> impl Iterator<Item = &'static str> {
    NAMES.iter().map(String::as_str)
}

/// How the name of a move along no observable transition of
/// [`machines::ALL`] begins: `unlisted: machine: from → to`. The table and
/// the behaviour disagree; the reference's property run must never show one.
pub const UNLISTED: &str = "unlisted: ";

/// `name` as a `&'static str`, each distinct name allocated once.
fn intern(name: String) -> &'static str {
    static INTERNED: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let Ok(mut interned) = INTERNED.lock() else { return UNLISTED };
    if let Some(known) = interned.get(name.as_str()) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    interned.insert(leaked);
    leaked
}

/// A credential's observable state at `now`: whichever came first of its
/// revocation and its notAfter; a certificate past its notAfter is expired,
/// suspended or not (SUS-005), and a revocation after that changes nothing
/// an observer sees.
fn credential(status: &CertStatus, not_after: UnixTime, now: UnixTime) -> &'static str {
    match status {
        CertStatus::Revoked { at, .. } if *at <= not_after => "revoked",
        _ if now > not_after => "expired",
        CertStatus::Revoked { .. } => "revoked",
        CertStatus::Suspended => "suspended",
        CertStatus::Good => "active",
    }
}

/// A card key's observable state from its failure count.
fn card_key(key: CardKey, failures: u64) -> &'static str {
    match failures {
        0 => "clear",
        n if n >= tries(key) => "locked",
        _ => "failing",
    }
}

/// The transitions one step fired, from the world before (at `then`) and
/// after (at `now`), each once per machine instance that took it. A move no
/// observable transition lists is named [`UNLISTED`] and recorded in full
/// for [`unlisted_in`].
pub fn fired(before: &WorldObservation, then: UnixTime, after: &WorldObservation, now: UnixTime) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut edge = |machine: &Machine, from: &str, to: &str| {
        let name = format!("{}: {from} → {to}", machine.name);
        match NAMES.iter().find(|known| **known == name) {
            Some(known) => out.push(known.as_str()),
            None => out.push(intern(format!("{UNLISTED}{name}"))),
        }
    };
    let credential_machine = &machines::CREDENTIAL;
    for (serial, record) in &after.issuer.certs {
        let to = credential(&record.status, record.not_after, now);
        let from = before.issuer.certs.get(serial).map(|r| credential(&r.status, r.not_after, then));
        match from {
            None => edge(credential_machine, NONE, to),
            Some(from) if from != to => edge(credential_machine, from, to),
            Some(_) => {}
        }
    }
    // a registry never forgets a certificate
    for (serial, record) in &before.issuer.certs {
        if !after.issuer.certs.contains_key(serial) {
            edge(credential_machine, credential(&record.status, record.not_after, then), "(gone)");
        }
    }
    for (holder, card) in &after.cards {
        let Some(old) = before.cards.get(holder) else { continue };
        let keys = [
            (CardKey::Sign, old.sign_failures, card.sign_failures),
            (CardKey::Auth, old.auth_failures, card.auth_failures),
        ];
        for (key, was, is) in keys {
            if was != is {
                edge(&machines::CARD_KEY, card_key(key, was), card_key(key, is));
            }
        }
    }
    // a machine born and moved on within one step took every edge on the way
    let session = &machines::ISSUANCE_SESSION;
    for (nonce, state) in &after.issuer.sessions {
        let old = before.issuer.sessions.get(nonce);
        if old.is_none() {
            edge(session, NONE, "challenged");
        }
        if state.completed && !old.is_some_and(|o| o.completed) {
            edge(session, "challenged", "completed");
        }
        if !state.completed && old.is_some_and(|o| o.completed) {
            edge(session, "completed", "challenged");
        }
    }
    for (rp, verifier) in &after.verifiers {
        let old = before.verifiers.get(rp);
        for (nonce, issued) in &verifier.nonces {
            let was = old.and_then(|o| o.nonces.get(nonce));
            if was.is_none() {
                edge(&machines::VERIFIER_NONCE, NONE, "issued");
            }
            if issued.consumed && !was.is_some_and(|w| w.consumed) {
                edge(&machines::VERIFIER_NONCE, "issued", "consumed");
            }
            if !issued.consumed && was.is_some_and(|w| w.consumed) {
                edge(&machines::VERIFIER_NONCE, "consumed", "issued");
            }
        }
        for (serial, counter) in &verifier.counters {
            match old.and_then(|o| o.counters.get(serial)) {
                None => edge(&machines::VERIFIER_COUNTER, NONE, "last c"),
                Some(was) if counter > was => edge(&machines::VERIFIER_COUNTER, "last c", "last c"),
                Some(was) if counter < was => edge(&machines::VERIFIER_COUNTER, "last c", "a lower counter"),
                Some(_) => {}
            }
        }
    }
    for _ in before.status.usage_log.len()..after.status.usage_log.len() {
        edge(&machines::STATUS_USAGE, "not notified", "notified");
    }
    for _ in after.status.usage_log.len()..before.status.usage_log.len() {
        edge(&machines::STATUS_USAGE, "notified", "not notified");
    }
    let wipe = &machines::WIPE_COMMAND;
    for (id, command) in &after.issuer.wipes {
        let rank = |state: &WipeState| match state {
            WipeState::Queued => 1,
            WipeState::Delivered => 2,
            WipeState::Acknowledged => 3,
        };
        let from = before.issuer.wipes.get(id).map_or(0, |old| rank(&old.state));
        let path = [(NONE, "queued"), ("queued", "delivered"), ("delivered", "acknowledged")];
        for (step, (a, b)) in path.iter().enumerate() {
            if from <= step && step < rank(&command.state) {
                edge(wipe, a, b);
            }
        }
        if rank(&command.state) < from {
            let names = [NONE, "queued", "delivered", "acknowledged"];
            edge(wipe, names[from], names[rank(&command.state)]);
        }
    }
    let key_machine = &machines::DEVICE_KEY;
    for (name, device) in &after.devices {
        let empty = DeviceObservation::default();
        let old = before.devices.get(name).unwrap_or(&empty);
        for (kind, key) in &device.pending {
            if old.pending.get(kind).is_none_or(|was| was.public != key.public) {
                edge(key_machine, NONE, "pending");
            }
        }
        for (kind, key) in &device.installed {
            match old.installed.get(kind) {
                Some(was) if was.public == key.public => {
                    if key.counter > was.counter {
                        edge(key_machine, "installed", "installed");
                    }
                }
                _ => {
                    if old.pending.get(kind).is_none_or(|p| p.public != key.public) {
                        edge(key_machine, NONE, "pending");
                    }
                    edge(key_machine, "pending", "installed");
                }
            }
        }
        for kind in old.installed.keys() {
            if !device.installed.contains_key(kind) {
                edge(key_machine, "installed", "removed");
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
    TALLY.with(|t| *t.borrow_mut() = Some(all().map(|name| (name, 0)).collect()));
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

/// The transitions of [`all`] that `tally` never saw fire, leaving out those
/// the table marks as beyond the property operations (fired by a named test
/// instead).
pub fn never_fired(tally: &Tally) -> Vec<&'static str> {
    let beyond: Vec<String> = machines::ALL
        .iter()
        .flat_map(|m| m.transitions.iter().filter(|t| t.beyond_operations.is_some()).map(|t| t.name(m)))
        .collect();
    all().filter(|name| tally.get(name).copied().unwrap_or(0) == 0 && !beyond.iter().any(|b| b == name)).collect()
}

/// The moves along no listed transition that `tally` saw (empty when the
/// table and the behaviour agree).
pub fn unlisted(tally: &Tally) -> Vec<&'static str> {
    tally.keys().copied().filter(|name| name.starts_with(UNLISTED)).collect()
}
