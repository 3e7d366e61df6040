//! The registry of checks. Each check has a stable, namespaced id, the role
//! it targets, the requirement ids it covers, a kind, the features it needs
//! (a SUT whose capability statement lacks one gets `skipped`), and a
//! script that drives the SUT through the world's role bindings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Check scripts read like tests: a failed step panics (with a `Failure`
// payload where the script knows expected and actual), and the runner turns
// every panic into a `fail` outcome. Nothing here runs outside the runner.

mod binding;
mod chaos;
mod comparable;
pub mod context;
pub mod divergence;
mod encoding;
pub mod judge;
mod lifecycle;
pub mod property;
mod qualification;
pub mod recording;
mod registry;
pub mod repetition;
pub mod robustness;
pub mod served;
pub mod state_machine;
mod status_list;
pub(crate) mod surgery;
pub mod trace;
pub mod transitions;
mod truthful;

use jpki_reference::Code;
use jpki_reference::mutants::{Family, Mutation};

/// The role a check targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The wallet.
    Device,
    /// The Issuer.
    Issuer,
    /// The status service.
    Status,
    /// A relying party.
    Verifier,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Device, Role::Issuer, Role::Status, Role::Verifier];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Device => "device",
            Role::Issuer => "issuer",
            Role::Status => "status",
            Role::Verifier => "verifier",
        }
    }

    /// Parses a lower-case name.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == text)
    }
}

/// What kind of check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckKind {
    /// Verdicts on given bytes.
    Vector,
    /// A scripted flow, good or bad.
    Scenario,
    /// Random operation sequences against the model.
    Property,
    /// Malformed and mutated input.
    Robustness,
}

impl CheckKind {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            CheckKind::Vector => "vector",
            CheckKind::Scenario => "scenario",
            CheckKind::Property => "property",
            CheckKind::Robustness => "robustness",
        }
    }
}

/// A protocol feature a SUT may lack (capability statement).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// Issuance.
    Issuance,
    /// Authentication with `auth`.
    Authentication,
    /// Signing with `sign`.
    Signing,
    /// Migration with the old device at hand.
    MigrationOldDevice,
    /// Migration authorised by the card.
    MigrationCard,
    /// Suspension and resumption.
    Suspension,
    /// Remote wipe of a lost device.
    RemoteWipe,
    /// Revocation from the device and trade-in receipts.
    DeviceRevocation,
    /// Card-linked revocation.
    CardEvents,
    /// The health-insurance qualification as an mdoc (spec/qualification.md).
    Qualification,
}

impl Feature {
    /// Every feature.
    pub const ALL: [Feature; 10] = {
        // the lifecycle's, then the qualification
        let mut all = [Feature::Qualification; 10];
        let mut i = 0;
        while i < Feature::LIFECYCLE.len() {
            all[i] = Feature::LIFECYCLE[i];
            i += 1;
        }
        all
    };

    /// The certificates' lifecycle: every feature but the qualification.
    /// The committed traces and the property run need these; their
    /// qualification operations answer alike on model and SUT when a
    /// capability statement declares the qualification absent.
    pub const LIFECYCLE: [Feature; 9] = [
        Feature::Issuance,
        Feature::Authentication,
        Feature::Signing,
        Feature::MigrationOldDevice,
        Feature::MigrationCard,
        Feature::Suspension,
        Feature::RemoteWipe,
        Feature::DeviceRevocation,
        Feature::CardEvents,
    ];

    /// Kebab-case name, as in capability statements.
    pub fn name(self) -> &'static str {
        match self {
            Feature::Issuance => "issuance",
            Feature::Authentication => "authentication",
            Feature::Signing => "signing",
            Feature::MigrationOldDevice => "migration-old-device",
            Feature::MigrationCard => "migration-card",
            Feature::Suspension => "suspension",
            Feature::RemoteWipe => "remote-wipe",
            Feature::DeviceRevocation => "device-revocation",
            Feature::CardEvents => "card-events",
            Feature::Qualification => "qualification",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<Feature> {
        Feature::ALL.into_iter().find(|f| f.name() == text)
    }
}

/// Whom a check judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// The SUT playing this role: the check drives it with protocol
    /// messages, and its outcome counts toward the SUT's verdicts.
    Sut(Role),
    /// The suite itself (a `suite::*` self-test: its decoders against public
    /// vectors, its test PKI, the Card it plays). Run and shown in its own
    /// section; never counted toward a SUT's verdicts.
    Suite,
}

impl Target {
    /// Every target, in report order: the SUT's roles, then the suite.
    pub const ALL: [Target; 5] = [
        Target::Sut(Role::Device),
        Target::Sut(Role::Issuer),
        Target::Sut(Role::Status),
        Target::Sut(Role::Verifier),
        Target::Suite,
    ];

    /// Lower-case name: the role's, or `suite`.
    pub fn name(self) -> &'static str {
        match self {
            Target::Sut(role) => role.name(),
            Target::Suite => "suite",
        }
    }
}

/// One check.
#[derive(Clone, Debug)]
pub struct Check {
    /// Stable, namespaced id (`registry::nonce_reused`, `lifecycle::…`, `suite::…`).
    pub id: String,
    /// What it checks, in words.
    pub title: String,
    /// Whom it judges: a role of the SUT, or the suite itself.
    pub target: Target,
    /// Its kind.
    pub kind: CheckKind,
    /// The requirement ids it covers.
    pub requirements: Vec<String>,
    /// The features it needs.
    pub features: Vec<Feature>,
    /// The script.
    pub run: fn(),
}

impl Check {
    /// A check of the SUT playing `role`.
    pub fn new(
        id: &str,
        title: &str,
        role: Role,
        kind: CheckKind,
        requirements: &[&str],
        features: Vec<Feature>,
        run: fn(),
    ) -> Check {
        Check {
            id: id.to_owned(),
            title: title.to_owned(),
            target: Target::Sut(role),
            kind,
            requirements: requirements.iter().map(|r| (*r).to_owned()).collect(),
            features,
            run,
        }
    }

    /// A `suite::*` self-test: it never drives the SUT.
    pub fn suite(id: &str, title: &str, kind: CheckKind, requirements: &[&str], run: fn()) -> Check {
        Check {
            id: format!("suite::{id}"),
            title: title.to_owned(),
            target: Target::Suite,
            kind,
            requirements: requirements.iter().map(|r| (*r).to_owned()).collect(),
            features: Vec::new(),
            run,
        }
    }

    /// The SUT role it judges; `None` for a suite self-test.
    pub fn role(&self) -> Option<Role> {
        match self.target {
            Target::Sut(role) => Some(role),
            Target::Suite => None,
        }
    }
}

/// Every check, in run order.
pub fn all() -> Vec<Check> {
    let mut checks = crate::selfcheck::checks();
    let mut seen: std::collections::BTreeMap<Code, usize> = std::collections::BTreeMap::new();
    for case in registry::cases().into_iter().chain(binding::cases()) {
        let n = seen.entry(case.code).or_default();
        *n += 1;
        let id = if *n == 1 { format!("registry::{}", case.code) } else { format!("registry::{}-{n}", case.code) };
        let mut requirements = case.requirements.to_vec();
        if !requirements.contains(&case.code.requirement()) {
            requirements.push(case.code.requirement());
        }
        checks.push(Check::new(
            &id,
            case.title,
            case.role,
            CheckKind::Scenario,
            &requirements,
            case.features.to_vec(),
            case.run,
        ));
    }
    checks.extend(lifecycle::checks());
    checks.extend(qualification::checks());
    checks.extend(status_list::checks());
    checks.extend(encoding::checks());
    checks.extend(vector_checks());
    checks.extend(repetition::checks());
    checks.extend(chaos::checks());
    checks.extend(binding::checks());
    // one committed trace per mutant: the rules they witness, and USE-012 a
    // use may break first on the way (an unreachable Status read as good)
    let mut witnessed = vec!["INV-011", "USE-012"];
    witnessed.extend(Mutation::ALL.iter().filter(|m| m.family() == Family::Scenario).map(|m| m.requirement()));
    witnessed.dedup();
    checks.push(Check::new(
        "traces::committed",
        "committed trace vectors (vectors/traces/) replay on the SUT exactly as on the model",
        Role::Issuer,
        CheckKind::Vector,
        &witnessed,
        Feature::LIFECYCLE.to_vec(),
        trace::run_committed,
    ));
    checks.push(Check::new(
        "property::lifecycle-model",
        "random operation sequences over the whole lifecycle: SUT and model answer and change state alike",
        Role::Issuer,
        CheckKind::Property,
        &[
            "INV-001", "INV-002", "INV-003", "INV-005", "INV-006", "INV-007", "INV-008", "INV-009", "INV-010",
            "INV-011", "INV-012", "ENC-005", "NON-002", "USE-001", "USE-005", "USE-006", "USE-012", "USE-013",
            "STA-004", "MIG-003", "ISS-006", "PKI-012", "SUS-002", "MIG-005", "MIG-006", "MIG-007", "STA-006",
            "STA-007", "STA-008", "REV-010", "USE-009", "DEV-001", "PIN-004", "ISS-011", "SUS-004", "REV-011",
            "REV-013", "INV-013", "INV-014", "INV-015", "NTF-001", "INV-004",
        ],
        Feature::LIFECYCLE.to_vec(),
        property::run,
    ));
    checks
}

/// The committed vector files the runner judges with the SUT.
pub const VECTOR_FILES: [&str; 11] = [
    "client_error.json",
    "client_receipt.json",
    "device_issuance_challenge.json",
    "device_issuance_response.json",
    "device_use_request.json",
    "device_wipe_command.json",
    "issuer_issuance_request.json",
    "issuer_lifecycle.json",
    "status_feed.json",
    "status_request.json",
    "verifier_assertion.json",
];

fn judge_vector_file(name: &str) {
    let path = crate::external::project_vectors_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| context::fail("the vector file", format!("{}: {e}", path.display())));
    let file: crate::vectors::VectorFile =
        serde_json::from_str(&text).unwrap_or_else(|e| context::fail("a vector file per schema", e.to_string()));
    if file.spec_version != crate::spec_index::SPEC_VERSION {
        context::fail(
            format!("a vector file of spec {}", crate::spec_index::SPEC_VERSION),
            format!(
                "{} was made for spec {}: rebuild it (jpki-conformance vectors)",
                path.display(),
                file.spec_version
            ),
        );
    }
    let mismatches = crate::vectors::judge::judge_file(&file);
    if let Some(first) = mismatches.first() {
        let detail: Vec<String> = mismatches
            .iter()
            .map(|m| format!("{} [{}]", m.detail, m.requirement.as_deref().unwrap_or("no requirement")))
            .collect();
        let expected = format!("all {} vectors judged as expected", file.number_of_tests);
        match &first.requirement {
            Some(requirement) => context::fail_on(requirement, expected, detail.join("; ")),
            None => context::fail(expected, detail.join("; ")),
        }
    }
}

fn vector_checks() -> Vec<Check> {
    // the requirements come from the flags' notes in the committed file
    let requirements = |name: &str| -> Vec<String> {
        let path = crate::external::project_vectors_dir().join(name);
        let file: Option<crate::vectors::VectorFile> =
            std::fs::read_to_string(path).ok().and_then(|t| serde_json::from_str(&t).ok());
        let mut ids: Vec<String> =
            file.map(|f| f.notes.values().flat_map(|n| n.requirements.clone()).collect()).unwrap_or_default();
        ids.sort();
        ids.dedup();
        if ids.is_empty() { vec!["USE-013".into()] } else { ids }
    };
    // `Target::Suite` for the files no SUT role receives in v0: the suite's
    // own consumer judges them, to pin the format for client libraries
    type Entry = (&'static str, &'static str, Target, &'static [Feature], fn());
    let entries: [Entry; 11] = [
        (
            "device_issuance_challenge.json",
            "vectors::device-issuance-challenge",
            Target::Sut(Role::Device),
            &[Feature::Issuance],
            || judge_vector_file("device_issuance_challenge.json"),
        ),
        ("client_error.json", "vectors-client-error", Target::Suite, &[], || judge_vector_file("client_error.json")),
        ("client_receipt.json", "vectors-client-receipt", Target::Suite, &[], || {
            judge_vector_file("client_receipt.json")
        }),
        (
            "device_issuance_response.json",
            "vectors::device-issuance-response",
            Target::Sut(Role::Device),
            &[Feature::Issuance],
            || judge_vector_file("device_issuance_response.json"),
        ),
        (
            "device_use_request.json",
            "vectors::device-use-request",
            Target::Sut(Role::Device),
            &[Feature::Authentication, Feature::Signing],
            || judge_vector_file("device_use_request.json"),
        ),
        (
            "device_wipe_command.json",
            "vectors::device-wipe-command",
            Target::Sut(Role::Device),
            &[Feature::RemoteWipe],
            || judge_vector_file("device_wipe_command.json"),
        ),
        ("status_feed.json", "vectors::status-feed", Target::Sut(Role::Status), &[Feature::Issuance], || {
            judge_vector_file("status_feed.json")
        }),
        (
            "issuer_lifecycle.json",
            "vectors::issuer-lifecycle",
            Target::Sut(Role::Issuer),
            &[Feature::MigrationOldDevice, Feature::Suspension, Feature::DeviceRevocation, Feature::RemoteWipe],
            || judge_vector_file("issuer_lifecycle.json"),
        ),
        (
            "issuer_issuance_request.json",
            "vectors::issuer-issuance-request",
            Target::Sut(Role::Issuer),
            &[Feature::Issuance, Feature::MigrationCard],
            || judge_vector_file("issuer_issuance_request.json"),
        ),
        (
            "status_request.json",
            "vectors::status-request",
            Target::Sut(Role::Status),
            &[Feature::Authentication],
            || judge_vector_file("status_request.json"),
        ),
        (
            "verifier_assertion.json",
            "vectors::verifier-assertion",
            Target::Sut(Role::Verifier),
            &[Feature::Authentication, Feature::Signing],
            || judge_vector_file("verifier_assertion.json"),
        ),
    ];
    let mut checks = Vec::new();
    for (file, id, target, features, run) in entries {
        let ids = requirements(file);
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let Target::Sut(role) = target else {
            let title = format!("the suite's own client judges vectors/{file}");
            checks.push(Check::suite(id, &title, CheckKind::Vector, &refs, run));
            continue;
        };
        checks.push(Check::new(
            id,
            &format!("fixed vectors: vectors/{file}"),
            role,
            CheckKind::Vector,
            &refs,
            features.to_vec(),
            run,
        ));
        // a robustness check around each file a SUT role judges
        let robustness_requirements = |role: Role| -> &'static [&'static str] {
            match role {
                // a wallet's counters are compared with the model's after each message (DEV-002)
                Role::Device => &["ENC-016", "ENC-005", "ISS-008", "USE-013", "DEV-002"],
                _ => &["ENC-016", "ENC-005", "ISS-008", "USE-013"],
            }
        };
        checks.push(Check::new(
            &id.replacen("vectors::", "robustness::", 1),
            &format!("malformed and mutated input around vectors/{file}: refused, state unchanged"),
            role,
            CheckKind::Robustness,
            robustness_requirements(role),
            features.to_vec(),
            robustness::run,
        ));
    }
    checks
}
