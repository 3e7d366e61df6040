//! Bounded model checking of the protocol's state machines, with an
//! attacker in the world.
//!
//! A breadth-first exploration of every sequence of actions, up to a depth,
//! over a small world: one holder with one card, up to three devices, the
//! two verifiers, a few clock steps. The transitions are the reference's
//! own, driven through the world harness exactly as the conformance checks
//! drive them; only the crypto provider is swapped for the symbolic one
//! ([`SymbolicProvider`]) so exploring does not spend its time on ECDSA.
//!
//! Concurrency is explored by splitting flows: starting a migration, a use
//! or a device revocation puts its message in flight, and delivering any
//! in-flight message is a separate action, so two migrations, or a
//! revocation and a use, interleave in every order.
//!
//! The attacker of `spec/threat-model.md` plays too: it keeps the first
//! [`Bounds::memory`] messages it sees on the wire (requests in flight and
//! the Issuer's Status feeds) and replays any of them to the endpoints of
//! its type; it drops messages in flight, loses an answer after the commit
//! (the request is then retried), forges a feed with a verifier's key, and
//! plays a modified wallet: path A with extra kinds, on the passcode, to
//! the same phone; one key for two kinds; a `sign` use on the passcode. Its
//! memory is part of the explored state, so de-duplication stays sound.
//!
//! The world checks the invariants of `spec/lifecycle.md` §5 after every
//! step, and the explorer checks that a retried request gets its first
//! answer (INV-012) and that the attacker reaches none of its goals: a
//! `sign` use on the passcode accepted (threat A2.1); an assertion accepted
//! by a verifier it was not made for (A1.2), a second time (A1.1) or with a
//! counter that did not rise (A1.15); one key certified for two kinds
//! (A2.5); a signature the holder never verified (A2.6). The first state
//! with a violation ends the search, and since the search is breadth-first
//! its trace is a shortest one.

mod action;
mod canonical;
mod step;

pub use action::{Action, Bounds};

use std::collections::{HashSet, VecDeque};

use jpki_reference::crypto::SymbolicProvider;
use jpki_reference::mutants::Mutation;
use jpki_reference::world::World;

use crate::checks::surgery::attributes;
use step::{Node, Sent};

use action::{DEVICES, HOLDER};

static SYMBOLIC: SymbolicProvider = SymbolicProvider;

/// A violated invariant with a shortest trace reaching it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The actions, from the initial world.
    pub trace: Vec<Action>,
    /// The invariant's number (`spec/lifecycle.md` §5) and what was found.
    pub violation: String,
}

/// What an exploration found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exploration {
    /// Distinct states reached (up to renaming), the initial one included.
    pub states: usize,
    /// Actions applied (each a transition of the reference).
    pub transitions: usize,
    /// Actions the protocol refused (a refusal leaves the state as it was).
    pub refusals: usize,
    /// The depth fully explored.
    pub depth: usize,
    /// The first violation found, if any.
    pub counterexample: Option<Counterexample>,
}

fn actions(node: &Node, bounds: &Bounds) -> Vec<Action> {
    let d = 0..bounds.devices.clamp(1, DEVICES.len());
    let room = node.in_flight.len() < bounds.in_flight;
    let mut out = Vec::new();
    for device in d.clone() {
        out.extend([Action::Issue { device }, Action::IssueAuth { device }, Action::IssueSharedKey { device }]);
    }
    for old in d.clone() {
        for new in d.clone() {
            if new != old {
                out.push(Action::MigrateWithCard { old, new });
            }
            if room {
                out.push(Action::StartMigration { old, new });
                if new != old {
                    out.extend([Action::MigrateExtraKinds { old, new }, Action::MigrateOnPasscode { old, new }]);
                }
            }
        }
    }
    if room {
        for device in d.clone() {
            for rp in 0..2 {
                out.push(Action::StartUse { device, rp });
            }
            out.extend([
                Action::StartRevocation { device },
                Action::SignOnPasscode { device },
                Action::UseWithoutUv { device },
            ]);
        }
    }
    for (index, sent) in node.in_flight.iter().enumerate() {
        out.extend([Action::Deliver { index }, Action::Drop { index }]);
        // a request with an idempotency key is retried when its answer is
        // lost; an assertion is not (its nonce serves once: the wallet starts over)
        if !sent.is_assertion() {
            out.push(Action::DeliverLosingAnswer { index });
        }
    }
    for (known, sent) in node.memory.iter().enumerate() {
        let rps = if sent.is_assertion() { 0..2 } else { 0..1 };
        out.extend(rps.map(|rp| Action::Replay { known, rp }));
    }
    out.extend((0..3).map(|action| Action::Hold { action }));
    out.push(Action::CardRevoked);
    out.extend(d.clone().map(|device| Action::Online { device }));
    out.extend(d.map(|device| Action::ForgeFeed { device }));
    if node.clock_steps < bounds.clock_steps {
        out.push(Action::Advance);
    }
    out
}

/// The state's identity up to renaming: every role's snapshot, the clock,
/// the devices online, the messages in flight and the attacker's memory.
fn fingerprint(node: &Node) -> [u8; 32] {
    let wire = |list: &[Sent]| -> Vec<ciborium::Value> { list.iter().map(Sent::identity).collect() };
    let online: Vec<bool> = DEVICES.iter().map(|d| node.world.is_online(d)).collect();
    let whole = (node.world.observe(), wire(&node.in_flight), wire(&node.memory), online, node.world.now());
    let mut bytes = Vec::new();
    let _ = ciborium::into_writer(&whole, &mut bytes);
    canonical::digest(&bytes)
}

/// The initial world: the holder and three devices, nothing issued, on the symbolic provider.
pub fn initial_world(mutation: Option<Mutation>) -> Result<World, String> {
    let mut world = World::with_provider([0x6d; 32], mutation, &SYMBOLIC).map_err(|e| e.to_string())?;
    world.add_holder(HOLDER, attributes()).map_err(|e| e.to_string())?;
    for device in DEVICES {
        world.add_device(device);
    }
    Ok(world)
}

/// Explores breadth-first from the initial world up to `bounds`; `progress`
/// hears after each finished depth (depth, states so far).
pub fn explore(
    mutation: Option<Mutation>,
    bounds: &Bounds,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Exploration, String> {
    let root = Node::new(initial_world(mutation)?);
    let mut seen = HashSet::from([fingerprint(&root)]);
    let mut frontier = VecDeque::from([root]);
    let mut found = Exploration { states: 1, transitions: 0, refusals: 0, depth: 0, counterexample: None };
    for depth in 1..=bounds.depth {
        let mut next = VecDeque::new();
        while let Some(node) = frontier.pop_front() {
            for action in actions(&node, bounds) {
                let mut child = node.fork()?;
                let accepted = child.apply(&action, bounds);
                child.trace.push(action);
                found.transitions += 1;
                found.refusals += usize::from(!accepted);
                let violation =
                    child.world.violations().first().map(|v| format!("invariant {}: {}", v.invariant, v.detail));
                if let Some(violation) = violation.or(child.violation.take()) {
                    found.counterexample = Some(Counterexample { trace: child.trace, violation });
                    found.depth = depth;
                    return Ok(found);
                }
                if seen.insert(fingerprint(&child)) {
                    found.states += 1;
                    // the last depth's states are counted, never expanded: keep none
                    if depth < bounds.depth {
                        next.push_back(child);
                    }
                }
            }
        }
        found.depth = depth;
        progress(depth, found.states);
        frontier = next;
    }
    Ok(found)
}
