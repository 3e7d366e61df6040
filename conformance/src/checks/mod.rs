//! The registry of checks. Each check has a stable, namespaced id, the role
//! it targets, the requirement ids it covers, a kind, the features it needs
//! (a SUT whose capability statement lacks one gets `skipped`), and a
//! script that drives the SUT through the world's role bindings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Check scripts read like tests: a failed step panics (with a `Failure`
// payload where the script knows expected and actual), and the runner turns
// every panic into a `fail` outcome. Nothing here runs outside the runner.

pub mod context;
mod lifecycle;
pub mod property;
mod registry;
pub mod robustness;
pub mod state_machine;
pub(crate) mod surgery;
pub mod trace;

use jpki_reference::Code;

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
}

impl Feature {
    /// Every feature.
    pub const ALL: [Feature; 9] = [
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
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<Feature> {
        Feature::ALL.into_iter().find(|f| f.name() == text)
    }
}

/// One check.
#[derive(Clone, Debug)]
pub struct Check {
    /// Stable, namespaced id (`registry::nonce_reused`, `lifecycle::…`).
    pub id: String,
    /// What it checks, in words.
    pub title: String,
    /// The role it targets.
    pub role: Role,
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
    /// A check.
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
            role,
            kind,
            requirements: requirements.iter().map(|r| (*r).to_owned()).collect(),
            features,
            run,
        }
    }
}

/// Requirement ids written in a title, e.g. "wrong rp (USE-001)".
fn ids_in(title: &str) -> Vec<String> {
    title
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| {
            let (prefix, digits) = w.split_once('-').unwrap_or(("", ""));
            prefix.len() >= 2 && prefix.chars().all(|c| c.is_ascii_uppercase()) && digits.len() == 3
        })
        .map(str::to_owned)
        .collect()
}

/// The role and features a registry case exercises, read from its title.
fn classify(title: &str, code: Code) -> (Role, Vec<Feature>) {
    use Feature::*;
    let t = title.to_lowercase();
    let mut features = vec![Issuance];
    if t.contains("sign") && !t.contains("signature") && !t.contains("signed") {
        features.push(Signing);
    }
    if t.contains("migration") {
        features.push(MigrationCard);
    }
    if t.contains("hold") || t.contains("suspended") {
        features.push(Suspension);
    }
    if t.contains("wipe") {
        features.push(RemoteWipe);
    }
    if t.contains("revoking") {
        features.push(DeviceRevocation);
    }
    let device_input = [
        "two bytes",
        "map length",
        "indefinite",
        "unsorted",
        "duplicate key",
        "trailing",
        "nested",
        "70 000",
        "utf-8",
        "float",
        "unknown field",
    ];
    let role = if device_input.iter().any(|k| t.contains(k)) {
        Role::Device
    } else if t.contains("status request") || t.contains("status asked") || code == Code::NotAuthorised {
        Role::Status
    } else if t.contains("assertion")
        || t.contains("status")
        || t.contains("verifier")
        || t.contains("rp")
        || t.contains("uv")
        || t.contains("passcode")
        || t.contains("counter")
        || t.contains("document")
        || t.contains("clock")
        || t.contains("purpose")
        || t.contains("certificate in the assertion")
        || t.contains("alg")
        || t.contains("crit")
        || t.contains("signature")
        || t.contains("x5chain")
        || t.contains("suspended")
    {
        Role::Verifier
    } else {
        Role::Issuer
    };
    if role != Role::Issuer && !features.contains(&Signing) {
        features.push(Authentication);
    }
    (role, features)
}

/// Every check, in run order.
pub fn all() -> Vec<Check> {
    let mut checks = crate::selfcheck::checks();
    let mut seen: std::collections::BTreeMap<Code, usize> = std::collections::BTreeMap::new();
    for (title, code, run) in registry::cases() {
        let n = seen.entry(code).or_default();
        *n += 1;
        let id = if *n == 1 { format!("registry::{code}") } else { format!("registry::{code}-{n}") };
        let mut requirements = ids_in(title);
        if !requirements.iter().any(|r| r == code.requirement()) {
            requirements.push(code.requirement().to_owned());
        }
        let requirements: Vec<&str> = requirements.iter().map(String::as_str).collect();
        let (role, features) = classify(title, code);
        checks.push(Check::new(&id, title, role, CheckKind::Scenario, &requirements, features, run));
    }
    checks.extend(lifecycle::checks());
    checks.extend(vector_checks());
    checks.push(Check::new(
        "traces::committed",
        "committed trace vectors (vectors/traces/) replay on the SUT exactly as on the model",
        Role::Issuer,
        CheckKind::Vector,
        &[
            "INV-011", "ENC-005", "NON-002", "USE-001", "USE-005", "USE-006", "USE-012", "USE-013", "STA-004",
            "MIG-003", "ISS-006", "PKI-012", "SUS-002",
        ],
        Feature::ALL.to_vec(),
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
            "STA-004", "MIG-003", "ISS-006", "PKI-012", "SUS-002",
        ],
        Feature::ALL.to_vec(),
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
    let mismatches = crate::vectors::judge::judge_file(&file);
    if !mismatches.is_empty() {
        context::fail(format!("all {} vectors judged as expected", file.number_of_tests), mismatches.join("; "));
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
    type Entry = (&'static str, &'static str, Role, &'static [Feature], fn());
    let entries: [Entry; 11] = [
        (
            "device_issuance_challenge.json",
            "vectors::device-issuance-challenge",
            Role::Device,
            &[Feature::Issuance],
            || judge_vector_file("device_issuance_challenge.json"),
        ),
        ("client_error.json", "vectors::client-error", Role::Verifier, &[], || judge_vector_file("client_error.json")),
        ("client_receipt.json", "vectors::client-receipt", Role::Device, &[Feature::DeviceRevocation], || {
            judge_vector_file("client_receipt.json")
        }),
        (
            "device_issuance_response.json",
            "vectors::device-issuance-response",
            Role::Device,
            &[Feature::Issuance],
            || judge_vector_file("device_issuance_response.json"),
        ),
        (
            "device_use_request.json",
            "vectors::device-use-request",
            Role::Device,
            &[Feature::Authentication, Feature::Signing],
            || judge_vector_file("device_use_request.json"),
        ),
        ("device_wipe_command.json", "vectors::device-wipe-command", Role::Device, &[Feature::RemoteWipe], || {
            judge_vector_file("device_wipe_command.json")
        }),
        ("status_feed.json", "vectors::status-feed", Role::Status, &[Feature::Issuance], || {
            judge_vector_file("status_feed.json")
        }),
        (
            "issuer_lifecycle.json",
            "vectors::issuer-lifecycle",
            Role::Issuer,
            &[Feature::MigrationOldDevice, Feature::Suspension, Feature::DeviceRevocation, Feature::RemoteWipe],
            || judge_vector_file("issuer_lifecycle.json"),
        ),
        (
            "issuer_issuance_request.json",
            "vectors::issuer-issuance-request",
            Role::Issuer,
            &[Feature::Issuance, Feature::MigrationCard],
            || judge_vector_file("issuer_issuance_request.json"),
        ),
        ("status_request.json", "vectors::status-request", Role::Status, &[Feature::Authentication], || {
            judge_vector_file("status_request.json")
        }),
        (
            "verifier_assertion.json",
            "vectors::verifier-assertion",
            Role::Verifier,
            &[Feature::Authentication, Feature::Signing],
            || judge_vector_file("verifier_assertion.json"),
        ),
    ];
    let mut checks = Vec::new();
    for (file, id, role, features, run) in entries {
        let ids = requirements(file);
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        checks.push(Check::new(
            id,
            &format!("fixed vectors: vectors/{file}"),
            role,
            CheckKind::Vector,
            &refs,
            features.to_vec(),
            run,
        ));
        // a robustness check around each file a SUT role judges (client files have none)
        if !file.starts_with("client_") {
            checks.push(Check::new(
                &id.replacen("vectors::", "robustness::", 1),
                &format!("malformed and mutated input around vectors/{file}: refused, state unchanged"),
                role,
                CheckKind::Robustness,
                &["ENC-016", "ENC-005", "ISS-008", "USE-013"],
                features.to_vec(),
                robustness::run,
            ));
        }
    }
    checks
}
