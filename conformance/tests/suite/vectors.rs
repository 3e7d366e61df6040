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
fn every_vector_file_counts_its_tests_and_numbers_them_uniquely() {
    // the JSON Schema itself is checked in conformance/schema-checks (run by .ci/run)
    for name in VECTOR_FILES {
        let typed: VectorFile = serde_json::from_str(&committed(name)).unwrap();
        let count: usize = typed.test_groups.iter().map(|g| g.tests.len()).sum();
        assert_eq!(typed.number_of_tests, count);
        let ids: BTreeSet<usize> = typed.test_groups.iter().flat_map(|g| g.tests.iter().map(|t| t.tc_id)).collect();
        assert_eq!(ids.len(), count, "{name}: tcIds are unique");
    }
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

/// Codes no vector file exercises, and why; checks cover them. The test
/// fails if one of them gains a vector (shrink the list) or another code
/// loses its vector.
/// - `pin_locked`: the card locks after several wrong entries across
///   requests, and a vector is judged alone against its fixture;
/// - `too_many_open_nonces`: a bound on the receiver's own state, reached by
///   making `MAX_OPEN_NONCES` nonces, not by a message it judges;
/// - `time_out_of_range`: the receiver's own clock at the end of the range,
///   where the fixtures' certificates cannot be made;
/// - `list_malformed`, `list_stale`, `list_mismatch`: a status-list reader's
///   refusals; no role a vector file judges reads a list, and
///   `vectors/codec/status-list.json` (another format) holds `list_malformed`.
/// - the qualification's refusals (`consent_declined` … `device_auth_failed`):
///   no vector file holds mdoc presentations yet; the `registry::*` cases of
///   spec/qualification.md drive each through the SUT, and the Annex D test
///   (tests/suite/annex_d.rs) runs the reader's decoders on the standard's example.
const PENDING: [Code; 12] = [
    Code::PinLocked,
    Code::TooManyOpenNonces,
    Code::TimeOutOfRange,
    Code::ListMalformed,
    Code::ListStale,
    Code::ListMismatch,
    Code::ConsentDeclined,
    Code::MdocExhausted,
    Code::NotRequested,
    Code::ItemDigestMismatch,
    Code::MdocExpired,
    Code::DeviceAuthFailed,
];

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
    // the HTTP binding's envelope codes answer a method, path, header or
    // upload, not a message: the `registry::*` and `http::*` checks judge
    // them over raw exchanges (checks/binding.rs), and a vector file holds messages
    let envelope = |c: &Code| c.category() == jpki_reference::error::Category::Http;
    // `retry_later` is no verdict on a message: an Issuer says it of a valid
    // request it chose not to judge now, and the chaos checks use it against
    // wallets (`registry::retry_later`, checks/chaos.rs)
    let chosen = |c: &Code| *c == Code::RetryLater;
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !covered.contains(c) && !PENDING.contains(c) && !envelope(c) && !chosen(c))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "registry codes without a vector: {missing:?}");
    let stale: Vec<&str> = PENDING.iter().filter(|c| covered.contains(c)).map(|c| c.as_str()).collect();
    assert!(stale.is_empty(), "now covered, remove from PENDING: {stale:?}");
}
