//! Bounded model checking of the protocol's state machines.
//!
//! A breadth-first exploration of every sequence of actions, up to a depth,
//! over a small world: one holder with one card, three devices, the two
//! verifiers, a few clock steps. The transitions are the reference's own,
//! driven through the world harness exactly as the conformance checks drive
//! them; only the crypto provider is swapped for the symbolic one
//! ([`SymbolicProvider`]) so exploring does not spend its time on ECDSA.
//!
//! Concurrency is explored by splitting flows: starting a migration, a use
//! or a device revocation puts its message in flight, and delivering any
//! in-flight message is a separate action, so two migrations, or a
//! revocation and a use, interleave in every order.
//!
//! The world checks the invariants of PROTOCOL.md §4 after every step; the
//! first state with a violation ends the search, and since the search is
//! breadth-first its trace is a shortest one. States are identified up to a
//! renaming of byte strings (nonces, serials, keys, certificates differ by
//! path but not in meaning): two states whose canonical forms agree are
//! explored once.

use std::collections::{HashMap, HashSet, VecDeque};

use jpki_reference::crypto::SymbolicProvider;
use jpki_reference::msgs::lifecycle::HolderAction;
use jpki_reference::msgs::status::RevocationReason;
use jpki_reference::mutants::Mutation;
use jpki_reference::world::{GOV_RP, IssueParams, LifecycleParams, SHOP_RP, World};
use sha2::{Digest, Sha256};

use crate::checks::surgery::attributes;

const HOLDER: &str = "h0";
const DEVICES: [&str; 3] = ["d0", "d1", "d2"];
const RPS: [&str; 2] = [GOV_RP, SHOP_RP];
static SYMBOLIC: SymbolicProvider = SymbolicProvider;

/// How far to explore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// The longest action sequence explored.
    pub depth: usize,
    /// At most this many messages in flight at once.
    pub in_flight: usize,
    /// At most this many clock steps (each past the nonce lifetime and the
    /// status freshness).
    pub clock_steps: usize,
    /// How many devices the holder has (1 to 3).
    pub devices: usize,
}

impl Default for Bounds {
    /// The default world: two devices, depth 5, two messages in flight, one clock step.
    fn default() -> Self {
        Bounds { depth: 5, in_flight: 2, clock_steps: 1, devices: 2 }
    }
}

/// One action of the explored world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The holder's card issues both kinds to a device.
    Issue {
        /// Device index.
        device: usize,
    },
    /// Migration path B: the card re-issues on `new`, superseding `old`'s certificates.
    MigrateWithCard {
        /// The device given up.
        old: usize,
        /// The new device.
        new: usize,
    },
    /// Migration path A starts: the intent is signed and put in flight.
    StartMigration {
        /// The old device.
        old: usize,
        /// The new device.
        new: usize,
    },
    /// A use starts: the rp asks, the device answers; the assertion is in flight.
    StartUse {
        /// The device.
        device: usize,
        /// The verifier (0 gov, 1 shop).
        rp: usize,
    },
    /// A device signs a revocation of its certificates; the request is in flight.
    StartRevocation {
        /// The device.
        device: usize,
    },
    /// The in-flight message at this index reaches its receiver.
    Deliver {
        /// Index into the in-flight list.
        index: usize,
    },
    /// A holder action with the card (0 suspend, 1 resume, 2 report lost).
    Hold {
        /// Which action.
        action: usize,
    },
    /// J-LIS revokes the card's auth certificate.
    CardRevoked,
    /// A device comes online and carries out its queued wipes.
    Online {
        /// The device.
        device: usize,
    },
    /// The clock moves past the nonce lifetime and the status freshness.
    Advance,
}

#[derive(Clone, Debug)]
enum InFlight {
    Migration { new: usize, bytes: Vec<u8> },
    Assertion { rp: usize, bytes: Vec<u8> },
    Revocation { device: usize, bytes: Vec<u8> },
}

struct Node {
    world: World,
    in_flight: Vec<InFlight>,
    clock_steps: usize,
    trace: Vec<Action>,
}

/// A violated invariant with a shortest trace reaching it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The actions, from the initial world.
    pub trace: Vec<Action>,
    /// The invariant's number (PROTOCOL.md §4) and what was found.
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
    let mut out: Vec<Action> = d.clone().map(|device| Action::Issue { device }).collect();
    for old in d.clone() {
        for new in d.clone().filter(|n| *n != old) {
            out.push(Action::MigrateWithCard { old, new });
            if node.in_flight.len() < bounds.in_flight {
                out.push(Action::StartMigration { old, new });
            }
        }
    }
    if node.in_flight.len() < bounds.in_flight {
        for device in d.clone() {
            for rp in 0..RPS.len() {
                out.push(Action::StartUse { device, rp });
            }
            out.push(Action::StartRevocation { device });
        }
    }
    out.extend((0..node.in_flight.len()).map(|index| Action::Deliver { index }));
    out.extend((0..3).map(|action| Action::Hold { action }));
    out.push(Action::CardRevoked);
    out.extend(d.map(|device| Action::Online { device }));
    if node.clock_steps < bounds.clock_steps {
        out.push(Action::Advance);
    }
    out
}

/// Applies `action`; returns whether the protocol accepted it.
fn apply(node: &mut Node, action: &Action) -> bool {
    // each request gets its own idempotency key: the depth it is made at
    let key = LifecycleParams::with_key(u8::try_from(node.trace.len() + 1).unwrap_or(u8::MAX));
    let tag = key.idempotency_key[0];
    let w = &mut node.world;
    match *action {
        Action::Issue { device } => w.issue(HOLDER, DEVICES[device], &IssueParams::both(tag)).is_ok(),
        Action::MigrateWithCard { old, new } => {
            let replaces = w.installed_serials(DEVICES[old]).unwrap_or_default();
            w.migrate_with_card(HOLDER, DEVICES[new], replaces, tag).is_ok()
        }
        Action::StartMigration { old, new } => match w.migration_intent(DEVICES[old], DEVICES[new], &key) {
            Ok(bytes) => {
                node.in_flight.push(InFlight::Migration { new, bytes });
                true
            }
            Err(_) => false,
        },
        Action::StartUse { device, rp } => {
            let asked = w.use_request(RPS[rp], jpki_reference::msgs::Kind::Auth, "log in", None);
            let answered = asked.and_then(|request| {
                w.assertion(DEVICES[device], &request, jpki_reference::device::UserVerification::BIOMETRIC)
            });
            match answered {
                Ok(bytes) => {
                    node.in_flight.push(InFlight::Assertion { rp, bytes });
                    true
                }
                Err(_) => false,
            }
        }
        Action::StartRevocation { device } => {
            match w.device_revocation_request(DEVICES[device], RevocationReason::HolderRequest, &key) {
                Ok(bytes) => {
                    node.in_flight.push(InFlight::Revocation { device, bytes });
                    true
                }
                Err(_) => false,
            }
        }
        Action::Deliver { index } => match node.in_flight.remove(index) {
            InFlight::Migration { new, bytes } => w.submit_migration(DEVICES[new], &bytes).is_ok(),
            InFlight::Assertion { rp, bytes } => w.verify(RPS[rp], &bytes).is_ok(),
            InFlight::Revocation { device, bytes } => w.submit_device_revocation(DEVICES[device], &bytes).is_ok(),
        },
        Action::Hold { action } => {
            let action = [HolderAction::Suspend, HolderAction::Resume, HolderAction::ReportLost][action];
            w.holder_action(HOLDER, action, &key).is_ok()
        }
        Action::CardRevoked => w.card_event(HOLDER, jpki_reference::issuer::CardEvent::AuthRevoked).is_ok(),
        Action::Online { device } => {
            w.set_online(DEVICES[device], true);
            w.sync_device(DEVICES[device]).is_ok()
        }
        Action::Advance => {
            node.clock_steps += 1;
            w.advance(
                jpki_reference::constants::NONCE_LIFETIME_SECS.max(jpki_reference::constants::STATUS_FRESHNESS_SECS)
                    + 1,
            );
            true
        }
    }
}

/// Canonical renaming over the CBOR serde writes for a snapshot: every byte
/// string, and every array of 8 or more integers below 256 (serde's form of
/// a byte array), is replaced by a token numbered in order of first
/// appearance; everything else is hashed as written. A single pass over the
/// bytes, no value tree (building one dominated the exploration's time).
struct Canonical<'a> {
    input: &'a [u8],
    at: usize,
    tokens: HashMap<Vec<u8>, u64>,
    hash: Sha256,
}

impl<'a> Canonical<'a> {
    fn head(&mut self) -> Option<(u8, u64, &'a [u8])> {
        let start = self.at;
        let first = *self.input.get(self.at)?;
        self.at += 1;
        let (major, info) = (first >> 5, first & 0x1f);
        let arg = match info {
            0..=23 => u64::from(info),
            24..=27 => {
                let len = 1usize << (info - 24);
                let bytes = self.input.get(self.at..self.at + len)?;
                self.at += len;
                bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
            }
            _ => 0, // indefinite lengths and breaks do not occur in ciborium's output
        };
        Some((major, arg, &self.input[start..self.at]))
    }

    /// Hashes the token of `bytes` (numbered in order of first appearance).
    fn token(&mut self, bytes: Vec<u8>) {
        let next = self.tokens.len() as u64;
        let index = *self.tokens.entry(bytes).or_insert(next);
        self.hash.update([0xff]);
        self.hash.update(index.to_be_bytes());
    }

    /// serde's byte array: `n >= 8` items, each a uint below 256.
    fn small_ints(&self, n: u64) -> Option<Vec<u8>> {
        if n < 8 {
            return None;
        }
        let mut at = self.at;
        let mut out = Vec::with_capacity(usize::try_from(n).ok()?);
        for _ in 0..n {
            let b = *self.input.get(at)?;
            match b {
                0x00..=0x17 => {
                    out.push(b);
                    at += 1;
                }
                0x18 => {
                    out.push(*self.input.get(at + 1)?);
                    at += 2;
                }
                _ => return None,
            }
        }
        Some(out)
    }

    fn item(&mut self) -> Option<()> {
        let (major, arg, raw) = self.head()?;
        match major {
            2 => {
                let len = usize::try_from(arg).ok()?;
                let bytes = self.input.get(self.at..self.at + len)?.to_vec();
                self.at += len;
                self.token(bytes);
            }
            3 => {
                let len = usize::try_from(arg).ok()?;
                self.hash.update(self.input.get(self.at - raw.len()..self.at + len)?);
                self.at += len;
            }
            4 => match self.small_ints(arg) {
                Some(bytes) => {
                    self.token(bytes);
                    for _ in 0..arg {
                        self.head()?;
                    }
                }
                None => {
                    self.hash.update(raw);
                    for _ in 0..arg {
                        self.item()?;
                    }
                }
            },
            5 => {
                self.hash.update(raw);
                for _ in 0..arg.saturating_mul(2) {
                    self.item()?;
                }
            }
            6 => {
                self.hash.update(raw);
                self.item()?;
            }
            _ => self.hash.update(raw),
        }
        Some(())
    }
}

/// The state's identity up to renaming: every role's snapshot, the clock,
/// the devices online and the messages in flight.
fn fingerprint(node: &Node) -> [u8; 32] {
    let in_flight: Vec<(u8, usize, ciborium::Value)> = node
        .in_flight
        .iter()
        .map(|m| match m {
            InFlight::Migration { new, bytes } => (0, *new, ciborium::Value::Bytes(bytes.clone())),
            InFlight::Assertion { rp, bytes } => (1, *rp, ciborium::Value::Bytes(bytes.clone())),
            InFlight::Revocation { device, bytes } => (2, *device, ciborium::Value::Bytes(bytes.clone())),
        })
        .collect();
    let online: Vec<bool> = DEVICES.iter().map(|d| node.world.is_online(d)).collect();
    let whole = (node.world.snapshot(), in_flight, online, node.world.now());
    let mut bytes = Vec::new();
    let _ = ciborium::into_writer(&whole, &mut bytes);
    let mut canonical = Canonical { input: &bytes, at: 0, tokens: HashMap::new(), hash: Sha256::new() };
    let _ = canonical.item();
    canonical.hash.finalize().into()
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
    let root = Node { world: initial_world(mutation)?, in_flight: Vec::new(), clock_steps: 0, trace: Vec::new() };
    let mut seen = HashSet::from([fingerprint(&root)]);
    let mut frontier = VecDeque::from([root]);
    let mut found = Exploration { states: 1, transitions: 0, refusals: 0, depth: 0, counterexample: None };
    for depth in 1..=bounds.depth {
        let mut next = VecDeque::new();
        while let Some(node) = frontier.pop_front() {
            for action in actions(&node, bounds) {
                let world = node.world.fork().ok_or("the world's roles cannot be forked")?;
                let mut child = Node {
                    world,
                    in_flight: node.in_flight.clone(),
                    clock_steps: node.clock_steps,
                    trace: node.trace.clone(),
                };
                let accepted = apply(&mut child, &action);
                child.trace.push(action);
                found.transitions += 1;
                found.refusals += usize::from(!accepted);
                if let Some(v) = child.world.violations().first() {
                    found.counterexample = Some(Counterexample {
                        trace: child.trace.clone(),
                        violation: format!("invariant {}: {}", v.invariant, v.detail),
                    });
                    found.depth = depth;
                    return Ok(found);
                }
                if seen.insert(fingerprint(&child)) {
                    found.states += 1;
                    next.push_back(child);
                }
            }
        }
        found.depth = depth;
        progress(depth, found.states);
        frontier = next;
    }
    Ok(found)
}
