//! The suite's files against their schemas (run by `.ci/run`; see the
//! crate's documentation): vector files and a report against their JSON
//! Schemas, every valid vector against the spec's CDDL.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use std::collections::BTreeSet;

use jpki_conformance::checks::context::Sut;
use jpki_conformance::checks::{self, VECTOR_FILES};
use jpki_conformance::external::project_vectors_dir;
use jpki_conformance::report::{self, RunSummary};
use jpki_conformance::runner::{self, Capabilities, CheckRun, RunConfig, Selection, SutProfile, Waivers};
use jpki_conformance::vectors::VectorFile;
use jpki_reference::mutants::Mutation;

fn committed(name: &str) -> String {
    std::fs::read_to_string(project_vectors_dir().join(name)).unwrap()
}

fn run_all(config: &RunConfig) -> Vec<CheckRun> {
    runner::run(&checks::all(), config, &mut |_, _, _| {})
}

#[test]
fn every_vector_file_follows_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(&committed("schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for name in VECTOR_FILES {
        let file: serde_json::Value = serde_json::from_str(&committed(name)).unwrap();
        let errors: Vec<String> = validator.iter_errors(&file).map(|e| format!("{e} at {}", e.instance_path)).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let typed: VectorFile = serde_json::from_value(file).unwrap();
        let count: usize = typed.test_groups.iter().map(|g| g.tests.len()).sum();
        assert_eq!(typed.number_of_tests, count);
        let ids: BTreeSet<usize> = typed.test_groups.iter().flat_map(|g| g.tests.iter().map(|t| t.tc_id)).collect();
        assert_eq!(ids.len(), count, "{name}: tcIds are unique");
    }
    let mut broken: serde_json::Value = serde_json::from_str(&committed(VECTOR_FILES[0])).unwrap();
    broken["testGroups"][0]["tests"][0]["result"] = "maybe".into();
    assert!(!validator.is_valid(&broken), "the schema is not a rubber stamp");
}

fn summary_of(runs: &[CheckRun], capabilities: &Capabilities) -> serde_json::Value {
    let profile = SutProfile::default();
    report::json::report(&RunSummary {
        sut: Sut::Reference,
        capabilities,
        seed: [7; 32],
        runs,
        profile: &profile,
        partial: false,
        timing: Default::default(),
    })
}

#[test]
fn the_json_report_validates_against_its_schema() {
    let capabilities = Capabilities::parse(r#"{"absent_features": ["remote-wipe"]}"#).unwrap();
    let waivers = Waivers::parse("registry::cert_unknown: testing waivers\n").unwrap();
    let mut runs = run_all(&RunConfig { capabilities: capabilities.clone(), waivers, ..RunConfig::default() });
    let config = RunConfig { sut: Sut::Mutant(Mutation::AcceptOtherRp), ..RunConfig::default() };
    let replay = Selection { replay: Some("registry::rp_mismatch".into()), ..Selection::default() };
    runs.extend(runner::run(&replay.apply(checks::all()), &config, &mut |_, _, _| {}));
    let report = summary_of(&runs, &capabilities);
    let schema: serde_json::Value = serde_json::from_str(include_str!("../../report.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&report).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let outcomes: BTreeSet<&str> =
        report["checks"].as_array().unwrap().iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert!(outcomes.is_superset(&["pass", "fail", "skipped", "waived"].into_iter().collect()));
    assert_eq!(report["requirements"]["USE-001"], "fail");
    // the schema is not a rubber stamp: an edited report fails it
    let mut broken = report.clone();
    broken["checks"][0]["outcome"] = "maybe".into();
    assert!(!validator.is_valid(&broken));
}

fn spec_cddl() -> String {
    std::fs::read_to_string(project_vectors_dir().join("../spec/messages.cddl")).unwrap()
}

/// `rule`'s definition in the spec: from `rule = ` to the next blank line, comments dropped.
fn definition(cddl: &str, rule: &str) -> String {
    let start = cddl.find(&format!("\n{rule} = ")).unwrap_or_else(|| panic!("no rule {rule}")) + 1;
    let text = &cddl[start + rule.len() + 3..];
    let next_rule = regex::Regex::new(r"^[A-Za-z][A-Za-z0-9_-]* = ").unwrap();
    let lines = text.lines().enumerate().take_while(|(i, l)| !l.is_empty() && (*i == 0 || !next_rule.is_match(l)));
    lines.map(|(_, l)| l.split(';').next().unwrap_or("").trim_end()).collect::<Vec<_>>().join("\n")
}

/// Validates `bytes` against the spec's rule `rule` with the `cddl` crate.
///
/// The crate (0.10) applies a `.cbor` control inside an array or map to
/// the wrong item, so each `bstr .cbor X` entry is checked in two steps,
/// both driven by the spec text: the rule with `.cbor X` removed validates
/// the outer structure, then the entry's bytes validate against `X`
/// (recursively). Entries are one per line in messages.cddl, which gives
/// each one's position.
fn cddl_validates(rule: &str, bytes: &[u8]) -> Result<(), String> {
    let cddl = spec_cddl();
    let body = definition(&cddl, rule);
    if !body.contains(['{', '[', '(', '/'])
        && !body.trim().contains(' ')
        && body.trim().chars().next().is_some_and(char::is_uppercase)
    {
        return cddl_validates(body.trim(), bytes); // an alias such as SignedByCardSignKey
    }
    let control = regex::Regex::new(r"bstr \.cbor ([A-Za-z_][A-Za-z0-9_-]*)").unwrap();
    let outer = control.replace_all(&body, "bstr");
    cddl::validate_cbor_from_slice(&format!("root = {outer}\n{cddl}"), bytes, None).map_err(|e| e.to_string())?;
    // the entry lines, in order, and which of them carry a .cbor control
    let entries: Vec<&str> = body.lines().skip(1).filter(|l| l.trim().ends_with(',')).collect();
    let nested: Vec<(usize, String)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, line)| control.captures(line).map(|c| (i, c[1].to_owned())))
        .collect();
    if nested.is_empty() {
        return Ok(());
    }
    let items = match jpki_reference::codec::decode_v0(bytes).map_err(|e| e.to_string())? {
        ciborium::Value::Tag(_, inner) => match *inner {
            ciborium::Value::Array(items) => items,
            other => return Err(format!("{rule}: expected an array, got {other:?}")),
        },
        ciborium::Value::Array(items) => items,
        ciborium::Value::Map(entries) => entries.into_iter().map(|(_, v)| v).collect(),
        other => return Err(format!("{rule}: unexpected {other:?}")),
    };
    for (index, inner_rule) in nested {
        let Some(ciborium::Value::Bytes(inner)) = items.get(index) else {
            return Err(format!("{rule}: entry {index} is not a bstr"));
        };
        cddl_validates(&inner_rule, inner).map_err(|e| format!("{rule} entry {index} as {inner_rule}: {e}"))?;
    }
    Ok(())
}

/// The CDDL rule a valid vector's input must match, by file and endpoint.
fn rule_for(file: &str, endpoint: Option<&str>) -> &'static str {
    match (file, endpoint) {
        ("client_error.json", _) => "Error",
        ("client_receipt.json", _) => "Receipt",
        ("device_issuance_response.json", _) => "IssuanceResponse",
        ("device_issuance_challenge.json", _) => "IssuanceChallenge",
        ("device_use_request.json", _) => "UseRequest",
        ("device_wipe_command.json", _) => "WipeCommand",
        ("issuer_issuance_request.json", _) => "IssuanceRequest",
        ("issuer_lifecycle.json", Some("migrate")) => "MigrationIntent",
        ("issuer_lifecycle.json", Some("holder_action")) => "HolderAction",
        ("issuer_lifecycle.json", Some("device_revocation")) => "DeviceRevocation",
        ("issuer_lifecycle.json", Some("acknowledge_wipe")) => "WipeReceipt",
        ("status_feed.json", _) => "StatusFeed",
        ("status_request.json", _) => "StatusRequest",
        ("verifier_assertion.json", _) => "Assertion",
        other => panic!("no CDDL rule for {other:?}"),
    }
}

/// Every valid vector, whole message (COSE_Sign1 envelope, headers, the
/// payload inside its bstr), matches the spec's CDDL rule for it, using the
/// `cddl` crate. Status answers the verifier vectors carry are checked too.
#[test]
fn every_valid_vector_matches_the_spec_cddl() {
    let mut checked = BTreeSet::new();
    for name in VECTOR_FILES {
        let file: VectorFile = serde_json::from_str(&committed(name)).unwrap();
        for test in file.test_groups.iter().flat_map(|g| g.tests.iter()).filter(|t| t.result == "valid") {
            let rule = rule_for(name, test.endpoint.as_deref());
            cddl_validates(rule, &hex::decode(&test.input).unwrap())
                .unwrap_or_else(|e| panic!("{name} tcId {} as {rule}: {e}", test.tc_id));
            if let Some(jpki_conformance::vectors::format::StatusAnswerJson::Response(h)) = &test.status {
                cddl_validates("StatusResponse", &hex::decode(h).unwrap())
                    .unwrap_or_else(|e| panic!("{name} tcId {} status: {e}", test.tc_id));
            }
            checked.insert(rule);
        }
    }
    assert_eq!(checked.len(), 14, "every message type has a valid vector checked: {checked:?}");
}

/// The CDDL check is not a rubber stamp: a valid assertion whose payload
/// gains a key, or whose signature loses a byte, no longer matches.
#[test]
fn the_cddl_check_refuses_what_the_spec_does_not_allow() {
    let file: VectorFile = serde_json::from_str(&committed("verifier_assertion.json")).unwrap();
    let valid = file.test_groups[0].tests.iter().find(|t| t.result == "valid").unwrap();
    let bytes = hex::decode(&valid.input).unwrap();
    cddl_validates("Assertion", &bytes).unwrap();
    let ciborium::Value::Tag(18, inner) = jpki_reference::codec::decode_v0(&bytes).unwrap() else { panic!() };
    let ciborium::Value::Array(parts) = *inner else { panic!() };
    let rebuilt = |payload: Vec<u8>, signature: Vec<u8>| {
        let mut parts = parts.clone();
        parts[2] = ciborium::Value::Bytes(payload);
        parts[3] = ciborium::Value::Bytes(signature);
        jpki_reference::codec::encode(&ciborium::Value::Tag(18, Box::new(ciborium::Value::Array(parts)))).unwrap()
    };
    let ciborium::Value::Bytes(payload) = &parts[2] else { panic!() };
    let ciborium::Value::Bytes(signature) = &parts[3] else { panic!() };
    let mut map = jpki_reference::codec::decode_v0(payload).unwrap();
    if let ciborium::Value::Map(entries) = &mut map {
        entries.push((ciborium::Value::Integer(10.into()), ciborium::Value::Null));
    }
    let extra = jpki_reference::codec::encode(&map).unwrap();
    assert!(cddl_validates("Assertion", &rebuilt(extra, signature.clone())).is_err());
    assert!(cddl_validates("Assertion", &rebuilt(payload.clone(), signature[..63].to_vec())).is_err());
}
