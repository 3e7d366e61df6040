//! Fixed vectors: regeneration is byte-identical, every file follows the
//! schema, the reference passes every vector, and the vector checks alone
//! catch the verifier mutants.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use std::collections::BTreeSet;

use jpki_conformance::checks::context::Sut;
use jpki_conformance::checks::{self, VECTOR_FILES};
use jpki_conformance::external::project_vectors_dir;
use jpki_conformance::runner::{self, Outcome, RunConfig, Selection};
use jpki_conformance::vectors::{VectorFile, generate};
use jpki_reference::Code;
use jpki_reference::mutants::Mutation;

fn committed(name: &str) -> String {
    std::fs::read_to_string(project_vectors_dir().join(name)).unwrap()
}

#[test]
fn regeneration_is_byte_identical() {
    let generated = generate::generate();
    assert_eq!(generated.keys().map(String::as_str).collect::<Vec<_>>(), VECTOR_FILES);
    for (name, text) in generated {
        assert!(
            committed(&name) == text,
            "{name} drifted from its generator: run `cargo run -p jpki-conformance -- vectors`"
        );
    }
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

fn vector_runs(sut: Sut) -> Vec<runner::CheckRun> {
    let only = VECTOR_FILES.map(|f| format!("vectors::{}", f.trim_end_matches(".json").replace('_', "-"))).to_vec();
    let selection = Selection { only, ..Selection::default() };
    runner::run(&selection.apply(checks::all()), &RunConfig { sut, ..RunConfig::default() }, &mut |_, _, _| {})
}

#[test]
fn the_reference_passes_every_vector() {
    let runs = vector_runs(Sut::Reference);
    assert!(!runs.is_empty());
    for run in runs {
        assert_eq!(run.outcome, Outcome::Pass, "{}", run.check.id);
    }
}

#[test]
fn the_vector_checks_alone_catch_the_verifier_mutants() {
    for mutation in [
        Mutation::AcceptNonDeterministicCbor,
        Mutation::AcceptReusedNonce,
        Mutation::IgnoreCounter,
        Mutation::AcceptPasscodeForSign,
        Mutation::UndeterminedAsGood,
        Mutation::AcceptOtherRp,
    ] {
        let runs = vector_runs(Sut::Mutant(mutation));
        assert!(
            runs.iter().any(|r| matches!(r.outcome, Outcome::Fail { .. })),
            "{} survived the vectors",
            mutation.name()
        );
    }
}

/// Codes no vector file exercises: the card's PIN refusals, a card command
/// rather than a message a role judges (the scenario checks cover them). The test fails if one of them gains a
/// vector (shrink the list) or another code loses its vector.
const PENDING: [Code; 2] = [Code::PinWrong, Code::PinLocked];

#[test]
fn every_registry_code_has_a_vector_or_is_pending() {
    let mut covered = BTreeSet::new();
    for name in VECTOR_FILES {
        let file: VectorFile = serde_json::from_str(&committed(name)).unwrap();
        for test in file.test_groups.iter().flat_map(|g| g.tests.iter()) {
            if let Some(code) = &test.code {
                covered.insert(Code::from_wire(code).unwrap_or_else(|| panic!("{name}: unknown code {code}")));
            }
        }
    }
    let missing: Vec<&str> =
        Code::ALL.iter().filter(|c| !covered.contains(c) && !PENDING.contains(c)).map(|c| c.as_str()).collect();
    assert!(missing.is_empty(), "registry codes without a vector: {missing:?}");
    let stale: Vec<&str> = PENDING.iter().filter(|c| covered.contains(c)).map(|c| c.as_str()).collect();
    assert!(stale.is_empty(), "now covered, remove from PENDING: {stale:?}");
}

fn cddl_validates(rule: &str, bytes: &[u8]) -> Result<(), String> {
    let messages = std::fs::read_to_string(project_vectors_dir().join("../spec/messages.cddl")).unwrap();
    let document = format!("root = {rule}\n{messages}");
    cddl::validate_cbor_from_slice(&document, bytes, None).map_err(|e| e.to_string())
}

/// The payload of a COSE_Sign1 (our strict decoder, so only valid input gets here).
fn payload_of(signed: &[u8]) -> Vec<u8> {
    let limits = jpki_reference::codec::Limits::V0;
    jpki_reference::codec::cose_sign1::decode_sign1(signed, &limits).unwrap().payload().to_vec()
}

// The `cddl` crate (0.10) mis-validates a group inlined in an array (our
// `sign1-headers` in each COSE_Sign1 rule), so the payload each signed
// message carries is what is checked against its CDDL rule; the COSE layer
// itself is pinned by the COSE-xxx vectors and the strict decoder.
#[test]
fn every_valid_vector_matches_the_spec_cddl() {
    let file: VectorFile = serde_json::from_str(&committed("verifier_assertion.json")).unwrap();
    let mut checked = 0;
    for (name, rule) in [("status_request.json", "StatusRequestPayload")] {
        let other: VectorFile = serde_json::from_str(&committed(name)).unwrap();
        for test in other.test_groups.iter().flat_map(|g| g.tests.iter()).filter(|t| t.result == "valid") {
            cddl_validates(rule, &payload_of(&hex::decode(&test.input).unwrap()))
                .unwrap_or_else(|e| panic!("{name} tcId {}: {e}", test.tc_id));
            checked += 1;
        }
    }
    for group in &file.test_groups {
        for test in &group.tests {
            if test.result == "valid" {
                let input = hex::decode(&test.input).unwrap();
                cddl_validates("AssertionPayload", &payload_of(&input))
                    .unwrap_or_else(|e| panic!("tcId {}: {e}", test.tc_id));
                if let Some(jpki_conformance::vectors::format::StatusAnswerJson::Response(h)) = &test.status {
                    cddl_validates("StatusResponsePayload", &payload_of(&hex::decode(h).unwrap()))
                        .unwrap_or_else(|e| panic!("tcId {} status: {e}", test.tc_id));
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 4);
    // the CDDL is not a rubber stamp: a payload with an extra key does not match it
    let valid = file.test_groups[0].tests.iter().find(|t| t.result == "valid").unwrap();
    let mut payload = jpki_reference::codec::decode_v0(&payload_of(&hex::decode(&valid.input).unwrap())).unwrap();
    if let ciborium::Value::Map(entries) = &mut payload {
        entries.push((ciborium::Value::Integer(10.into()), ciborium::Value::Null));
    }
    let extra = jpki_reference::codec::encode(&payload).unwrap();
    assert!(cddl_validates("AssertionPayload", &extra).is_err());
}
