//! The protocol's state machines as data: their states and every transition
//! between them, with the input that takes it and the requirements that
//! rule it.
//!
//! The transition functions in `issuer/`, `status.rs`, `verifier.rs`,
//! `device.rs` and `card.rs` are the behaviour; this table is what the spec's
//! diagrams are drawn from (`jpki-conformance diagrams`), and it is held to
//! the behaviour from both sides by the reference's property-run test
//! (`conformance/tests/suite/property.rs`): every observable transition here
//! must fire in the run, and no step may move a machine along a transition
//! not listed here (`conformance/src/checks/transitions.rs` says which moves
//! it can see).

/// The pseudo-state a machine instance is in before it exists.
pub const NONE: &str = "(none)";

/// One state machine of spec/state-machines.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Machine {
    /// Its short name, also the diagram's file name stem (`credential`).
    pub name: &'static str,
    /// What one instance is, in words.
    pub title: &'static str,
    /// Its states, in the order a reader meets them; [`NONE`] first when an
    /// instance is born by a transition.
    pub states: &'static [&'static str],
    /// Its transitions.
    pub transitions: &'static [Transition],
}

/// One transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The state it leaves.
    pub from: &'static str,
    /// The state it enters (equal to `from` for a transition that only
    /// moves a count).
    pub to: &'static str,
    /// What takes it.
    pub on: &'static str,
    /// The requirements that rule it.
    pub requirements: &'static [&'static str],
    /// Whether an observer of spec/observation.cddl sees it fire. `None`
    /// when it does; otherwise why not, and what judges it instead.
    pub unobserved: Option<&'static str>,
    /// For an observable transition the property runs' operations do not
    /// reach at their default case count: why, and which test fires it
    /// instead. `None` for the others, which every property run must fire.
    pub beyond_operations: Option<&'static str>,
}

const fn seen(
    from: &'static str,
    to: &'static str,
    on: &'static str,
    requirements: &'static [&'static str],
) -> Transition {
    Transition { from, to, on, requirements, unobserved: None, beyond_operations: None }
}

const fn seen_by_a_test(
    from: &'static str,
    to: &'static str,
    on: &'static str,
    requirements: &'static [&'static str],
    why: &'static str,
) -> Transition {
    Transition { from, to, on, requirements, unobserved: None, beyond_operations: Some(why) }
}

const fn unseen(
    from: &'static str,
    to: &'static str,
    on: &'static str,
    requirements: &'static [&'static str],
    why: &'static str,
) -> Transition {
    Transition { from, to, on, requirements, unobserved: Some(why), beyond_operations: None }
}

/// A mobile certificate, at the Issuer (registry) and at Status (entries).
pub const CREDENTIAL: Machine = Machine {
    name: "credential",
    title: "Mobile certificate (Issuer registry, Status entry)",
    states: &[NONE, "active", "suspended", "revoked", "expired"],
    transitions: &[
        seen(NONE, "active", "issuance, migration", &["ISS-009", "MIG-003"]),
        seen("active", "suspended", "hold", &["SUS-001"]),
        seen("suspended", "active", "lift hold (auth)", &["SUS-002"]),
        seen("active", "revoked", "revocation", &["REV-001", "REV-004", "REV-009", "MIG-003"]),
        seen("suspended", "revoked", "revocation; lift hold (sign)", &["REV-001", "SUS-002"]),
        seen("active", "expired", "notAfter passes", &["PKI-003"]),
        seen("suspended", "expired", "notAfter passes", &["PKI-003", "SUS-005"]),
    ],
};

const WRONG_TWICE: &str = "the property operations rarely enter two wrong secrets in a row for one key; \
     tests/suite/property.rs fires it with the operations, and the PIN-001/PIN-002 checks lock a key";

/// One key of the physical card (sign or auth) and its failure count.
pub const CARD_KEY: Machine = Machine {
    name: "card-key",
    title: "Card key (sign password, auth PIN): its failure count",
    states: &["clear", "failing", "locked"],
    transitions: &[
        seen("clear", "failing", "wrong secret", &["PIN-001"]),
        seen_by_a_test("failing", "failing", "wrong secret, below the limit", &["PIN-001"], WRONG_TWICE),
        seen_by_a_test("failing", "locked", "wrong secret at the limit", &["PIN-002"], WRONG_TWICE),
        seen("failing", "clear", "right secret", &["PIN-003"]),
    ],
};

/// An issuance session at the Issuer, by nonce.
pub const ISSUANCE_SESSION: Machine = Machine {
    name: "issuance-session",
    title: "Issuance session (Issuer, by nonce)",
    states: &[NONE, "challenged", "completed", "expired"],
    transitions: &[
        seen(NONE, "challenged", "challenge request", &["NON-004"]),
        seen("challenged", "completed", "accepted IssuanceRequest", &["ISS-009", "NON-002"]),
        unseen(
            "challenged",
            "expired",
            "NONCE_LIFETIME_SECS pass",
            &["NON-003"],
            "the observation keeps a session's expiry, not an expired flag; judged by the nonce_expired checks",
        ),
    ],
};

/// A migration, by its challenge.
pub const MIGRATION: Machine = Machine {
    name: "migration",
    title: "Migration (Issuer, by challenge)",
    states: &[NONE, "started", "committed", "aborted"],
    transitions: &[
        unseen(
            NONE,
            "started",
            "challenge",
            &["MIG-001"],
            "a migration's challenge is an issuance session; it is seen as that machine's (none) → challenged",
        ),
        unseen(
            "started",
            "committed",
            "intent or card request, every check passed (atomic)",
            &["MIG-003"],
            "seen as its parts: new credentials active and the replaced ones revoked in the same step",
        ),
        unseen(
            "started",
            "aborted",
            "expiry, or the replaced certificates superseded meanwhile",
            &["MIG-004", "NON-003"],
            "nothing moves; judged by the migration_conflict and nonce_expired checks",
        ),
    ],
};

/// A verifier's nonce.
pub const VERIFIER_NONCE: Machine = Machine {
    name: "verifier-nonce",
    title: "Verifier nonce (per verifier, per nonce)",
    states: &[NONE, "issued", "consumed", "expired"],
    transitions: &[
        seen(NONE, "issued", "UseRequest made", &["NON-004"]),
        seen("issued", "consumed", "accepted use (fresh good status)", &["NON-002", "USE-013"]),
        unseen(
            "issued",
            "expired",
            "NONCE_LIFETIME_SECS pass",
            &["NON-003"],
            "the observation keeps a nonce's expiry, not an expired flag; judged by the nonce_expired checks",
        ),
    ],
};

/// A verifier's last accepted counter for one certificate.
pub const VERIFIER_COUNTER: Machine = Machine {
    name: "verifier-counter",
    title: "Verifier counter (per verifier, per certificate)",
    states: &[NONE, "last c"],
    transitions: &[
        seen(NONE, "last c", "first accepted use", &["USE-006"]),
        seen("last c", "last c", "accepted use with counter k > c: c := k", &["USE-006"]),
    ],
};

/// Status's record of the uses it answered, by (verifier, nonce, certificate).
pub const STATUS_USAGE: Machine = Machine {
    name: "status-usage",
    title: "Status usage (per verifier, nonce, certificate)",
    states: &["not notified", "notified"],
    transitions: &[seen("not notified", "notified", "query answered good", &["STA-004"])],
};

/// A wipe command at the Issuer, by command id.
pub const WIPE_COMMAND: Machine = Machine {
    name: "wipe-command",
    title: "Wipe command (Issuer, by command id)",
    states: &[NONE, "queued", "delivered", "acknowledged"],
    transitions: &[
        seen(NONE, "queued", "lost report or migration commit", &["REV-005", "MIG-003"]),
        seen("queued", "delivered", "device online, fetches", &["REV-005"]),
        seen("delivered", "acknowledged", "valid wipe receipt", &["REV-007"]),
    ],
};

/// A secure-element key on a device, per kind.
pub const DEVICE_KEY: Machine = Machine {
    name: "device-key",
    title: "Device key (wallet, per kind)",
    states: &[NONE, "pending", "installed", "removed"],
    transitions: &[
        seen(NONE, "pending", "key made for a challenge", &["ISS-003"]),
        seen("pending", "installed", "IssuanceResponse installed", &["ISS-010", "ISS-013"]),
        seen("installed", "installed", "signature made: counter + 1", &["DEV-002"]),
        seen("installed", "removed", "wipe, release", &["REV-007"]),
    ],
};

/// Why a wallet's mdoc moves are not observed.
const WALLET_MDOCS: &str = "a wallet's mdocs are not in spec/observation.cddl (v0 observes certificate keys only): \
     the qualification::* and registry::* checks judge them by the wallet's answers";

/// A qualification MSO on a wallet, by its device key (spec/qualification.md).
/// Its status is its `auth` certificate's (QUA-003): the credential machine.
pub const MDOC: Machine = Machine {
    name: "mdoc",
    title: "Qualification MSO (wallet, by device key)",
    states: &[NONE, "pending", "usable", "exhausted", "deleted"],
    transitions: &[
        unseen(NONE, "pending", "key made for a challenge", &["QUA-001"], WALLET_MDOCS),
        unseen("pending", "usable", "IssuanceResponse installed", &["QUA-002", "QUA-004"], WALLET_MDOCS),
        unseen("usable", "usable", "presentation: uses + 1", &["QUA-005", "QUA-006", "QUA-007"], WALLET_MDOCS),
        unseen("usable", "exhausted", "its last presentation", &["QUA-007"], WALLET_MDOCS),
        unseen("usable", "deleted", "wipe, release", &["QUA-015"], WALLET_MDOCS),
        unseen("exhausted", "deleted", "wipe, release", &["QUA-015"], WALLET_MDOCS),
    ],
};

/// Every machine, in the order of spec/state-machines.md.
pub const ALL: &[Machine] = &[
    CREDENTIAL,
    CARD_KEY,
    ISSUANCE_SESSION,
    MIGRATION,
    VERIFIER_NONCE,
    VERIFIER_COUNTER,
    STATUS_USAGE,
    WIPE_COMMAND,
    DEVICE_KEY,
    MDOC,
];

impl Machine {
    /// The machine named `name`.
    pub fn named(name: &str) -> Option<&'static Machine> {
        ALL.iter().find(|m| m.name == name)
    }

    /// The transition from `from` to `to`, if listed.
    pub fn transition(&self, from: &str, to: &str) -> Option<&'static Transition> {
        self.transitions.iter().find(|t| t.from == from && t.to == to)
    }

    /// States no transition leaves (a self-loop does not count).
    pub fn terminal(&self, state: &str) -> bool {
        !self.transitions.iter().any(|t| t.from == state && t.to != state)
    }
}

impl Transition {
    /// Its name, `machine: from → to`, as reports and the property runs' tallies spell it.
    pub fn name(&self, machine: &Machine) -> String {
        format!("{}: {} → {}", machine.name, self.from, self.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transition_joins_states_of_its_machine_and_is_listed_once() {
        for machine in ALL {
            for (i, t) in machine.transitions.iter().enumerate() {
                assert!(machine.states.contains(&t.from), "{}: {} is not a state", machine.name, t.from);
                assert!(machine.states.contains(&t.to), "{}: {} is not a state", machine.name, t.to);
                assert_ne!(t.to, NONE, "{}: nothing returns to (none)", machine.name);
                assert!(!t.requirements.is_empty(), "{}: {} names no requirement", machine.name, t.name(machine));
                let again = machine.transitions[i + 1..].iter().any(|u| u.from == t.from && u.to == t.to);
                assert!(!again, "{} is listed twice", t.name(machine));
            }
        }
    }

    #[test]
    fn terminal_states_are_the_protocol_s() {
        // the product brief's state machines (§3): revoked and expired never leave; a credential can expire while suspended
        assert!(CREDENTIAL.terminal("revoked") && CREDENTIAL.terminal("expired"));
        assert!(!CREDENTIAL.terminal("suspended"));
        assert!(CREDENTIAL.transition("suspended", "expired").is_some());
    }
}
