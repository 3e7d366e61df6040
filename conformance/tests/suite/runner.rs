//! The runner: every check passes against the reference; every registry
//! code has a check; every mutant is caught on the requirement it breaks;
//! each outcome kind is produced for real; reports are well-formed.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use std::collections::BTreeSet;

use jpki_conformance::checks::context::Sut;
use jpki_conformance::checks::{self, Feature};
use jpki_conformance::checks::{Role, Target};
use jpki_conformance::report::{self, RunSummary};
use jpki_conformance::runner::{self, Capabilities, CheckRun, Outcome, RunConfig, Selection, SutProfile, Waivers};
use jpki_reference::Code;
use jpki_reference::mutants::{Family, Mutation};

fn run_all(config: &RunConfig) -> Vec<CheckRun> {
    runner::run(&checks::all(), config, &mut |_, _, _| {})
}

#[test]
fn every_check_passes_against_the_reference() {
    // every requirement the checks name, against the reference (INV-011 on every refusal);
    // a SUT check passes only if it drove the role it judges, so this also shows each one does
    let runs = run_all(&RunConfig::default());
    let not_passing: Vec<String> = runs
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .map(|r| format!("{}: {:?}", r.check.id, r.outcome))
        .collect();
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    assert!(runs.len() > 80);
}

#[test]
fn every_registry_code_has_a_defect_check() {
    let ids: BTreeSet<String> = checks::all().into_iter().map(|c| c.id).collect();
    // a status-list reader's refusals (STL-003, STL-005, STL-006): no role under test reads a
    // list in v0 (the suite is the reader); vectors/codec/status-list.json and the list check
    // hold them
    let readers = [Code::ListMalformed, Code::ListStale, Code::ListMismatch];
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !ids.contains(&format!("registry::{c}")) && !readers.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "codes without a registry check: {missing:?}");
}

#[test]
fn check_ids_are_unique_and_namespaced() {
    let all = checks::all();
    let ids: BTreeSet<&str> = all.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), all.len());
    assert!(all.iter().all(|c| c.id.contains("::") && !c.requirements.is_empty()));
}

/// For each mutant: the checks whose failure names its requirement (the
/// catchers), and the outcome of every other check once they are removed.
fn catch_then_remove(mutation: Mutation) -> (Vec<String>, Vec<CheckRun>) {
    // the property check runs in tests/suite/property.rs (it shrinks, slowly); here every other check.
    // A step mutant changes the model too, so only fixed expectations can catch it: those checks only.
    let selection = match mutation.family() {
        Family::Scenario => Selection { skip: vec!["property::*".into()], ..Selection::default() },
        Family::Step => Selection { only: vec!["vectors::*".into(), "repetition::*".into()], ..Selection::default() },
    };
    let all: Vec<checks::Check> = selection.apply(checks::all());
    let config = RunConfig { sut: Sut::Mutant(mutation), ..RunConfig::default() };
    let runs = runner::run(&all, &config, &mut |_, _, _| {});
    let catchers: Vec<String> = runner::catchers(&runs, mutation).into_iter().map(str::to_owned).collect();
    // the rerun without the catchers shows a scenario mutant's catch is real; a step mutant's
    // catchers are fixed vectors whose every failure names its own test's rule, so it is skipped
    if mutation.family() == Family::Step {
        return (catchers, Vec::new());
    }
    let rest: Vec<checks::Check> = all.into_iter().filter(|c| !catchers.contains(&c.id)).collect();
    (catchers.clone(), runner::run(&rest, &config, &mut |_, _, _| {}))
}

#[test]
fn every_mutant_is_caught_on_its_requirement_and_survives_without_its_catchers() {
    let mutations: Vec<Mutation> = Mutation::ALL.to_vec();
    let halves = mutations.split_at(mutations.len() / 2);
    // two threads on two cores: each half of the mutants
    let results: Vec<(Mutation, Vec<String>, Vec<CheckRun>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = [halves.0, halves.1]
            .into_iter()
            .map(|half| {
                scope.spawn(move || {
                    half.iter()
                        .map(|&m| {
                            let (catchers, rest) = catch_then_remove(m);
                            (m, catchers, rest)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    for (mutation, catchers, rest) in results {
        assert!(!catchers.is_empty(), "{} ({}) survived", mutation.name(), mutation.requirement());
        // what is left may fail, but never on the mutant's requirement: the score counts real catches
        let still = runner::catchers(&rest, mutation);
        assert!(still.is_empty(), "{}: {still:?} named its requirement only on a rerun", mutation.name());
        // a step mutant changes the suite's shared code too: its self-tests may fail (they never catch)
        for run in rest.iter().filter(|r| r.check.target != Target::Suite) {
            if let Outcome::Fail { requirement: Some(r), .. } = &run.outcome {
                assert_ne!(r, mutation.requirement(), "{}: {}", mutation.name(), run.check.id);
            }
        }
    }
}

#[test]
fn a_failure_counts_as_a_catch_only_when_it_names_the_requirement() {
    // a check that *declares* the requirement but failed on another rule, or in set-up, catches nothing
    let check = checks::all().into_iter().find(|c| c.id == "registry::nonce_reused").unwrap();
    assert!(check.requirements.iter().any(|r| r == "NON-002"));
    let failing = |requirement: Option<&str>| CheckRun {
        check: check.clone(),
        outcome: Outcome::Fail {
            requirement: requirement.map(str::to_owned),
            expected: "x".into(),
            actual: "y".into(),
        },
        seed: [0; 32],
        elapsed: Default::default(),
    };
    let mutation = Mutation::AcceptReusedNonce;
    assert!(runner::catchers(&[failing(None)], mutation).is_empty(), "a set-up failure");
    assert!(runner::catchers(&[failing(Some("USE-013"))], mutation).is_empty(), "another rule");
    assert_eq!(runner::catchers(&[failing(Some("NON-002"))], mutation), vec!["registry::nonce_reused"]);
}

#[test]
fn every_check_declares_its_metadata_and_the_mislabelled_three_are_right() {
    let all = checks::all();
    let find = |id: &str| all.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id}"));
    // PKI-002: a card certificate offered in an assertion is the verifier's to refuse
    let pki_002 = find("registry::untrusted_chain");
    assert_eq!(pki_002.target, Target::Sut(Role::Verifier));
    assert_eq!(pki_002.features, vec![Feature::Issuance, Feature::Authentication]);
    // PKI-008: a card certificate in an issuance request is the issuer's, and needs no use
    let pki_008 = find("registry::unknown_critical_extension");
    assert_eq!(pki_008.target, Target::Sut(Role::Issuer));
    assert_eq!(pki_008.features, vec![Feature::Issuance]);
    // PKI-007: the card auth certificate case has nothing to do with `sign`
    let pki_007 = find("registry::bad_key_usage");
    assert_eq!(pki_007.target, Target::Sut(Role::Issuer));
    assert!(!pki_007.features.contains(&Feature::Signing));
    // and the checks that never drive the SUT are the suite's own
    for id in [
        "suite::strict-decoder-table",
        "suite::wycheproof-ecdsa-p256-p1363",
        "suite::rfc8949-appendix-a",
        "suite::cose-wg-examples",
        "suite::pki-fixtures-reproducible",
        "suite::pki-fixture-chains",
        "suite::vectors-client-error",
        "suite::vectors-client-receipt",
    ] {
        assert_eq!(find(id).target, Target::Suite, "{id}");
    }
    assert!(all.iter().filter(|c| c.target == Target::Suite).all(|c| c.id.starts_with("suite::")));
}

#[test]
fn a_check_that_never_drives_its_role_does_not_pass() {
    // the runner refuses a pass that never reached the judged role (so every SUT check passing
    // against the reference, above, shows each one drove its role); a script driving nothing
    // fails, naming no requirement
    let idle = checks::Check::new(
        "test::idle",
        "drives nothing",
        Role::Verifier,
        checks::CheckKind::Scenario,
        &["USE-001"],
        vec![],
        || {},
    );
    match runner::run_one(&idle, &RunConfig::default()).outcome {
        Outcome::Fail { requirement: None, expected, .. } => assert!(expected.contains("verifier"), "{expected}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_capability_statement_declares_platform_roots_as_certificates() {
    let root = jpki_reference::pki::TestPki::from_seed(
        jpki_reference::crypto::default_provider(),
        [9; 32],
        jpki_reference::world::WORLD_START,
    )
    .unwrap()
    .platform_root
    .cert;
    let text = format!(r#"{{"platform_attestation_roots": ["{}"]}}"#, hex::encode(&root));
    assert_eq!(Capabilities::parse(&text).unwrap().platform_roots, vec![root]);
    let not_hex = Capabilities::parse(r#"{"platform_attestation_roots": ["zz"]}"#).unwrap_err();
    assert!(not_hex.contains("platform attestation root"), "{not_hex}");
    let not_a_cert = Capabilities::parse(r#"{"platform_attestation_roots": ["3003020101"]}"#).unwrap_err();
    assert!(not_a_cert.contains("not a certificate"), "{not_a_cert}");
}

#[test]
fn a_capability_statement_skips_exactly_the_checks_needing_the_feature() {
    let capabilities =
        Capabilities::parse(r#"{"identity": "ExampleWallet 1.2", "absent_features": ["signing"]}"#).unwrap();
    let runs = run_all(&RunConfig { capabilities, ..RunConfig::default() });
    for run in &runs {
        let needs = run.check.features.contains(&Feature::Signing);
        assert_eq!(matches!(run.outcome, Outcome::Skipped(_)), needs, "{}: {:?}", run.check.id, run.outcome);
        if !needs {
            assert_eq!(run.outcome, Outcome::Pass, "{}", run.check.id);
        }
    }
    assert!(runs.iter().any(|r| matches!(r.outcome, Outcome::Skipped(_))));
}

#[test]
fn a_waiver_yields_waived_with_its_reason() {
    let waivers = Waivers::parse("# known issue\nregistry::clock_skew: vendor bug 123, fixed in 2.0\n").unwrap();
    let selection = Selection { only: vec!["registry::clock_*".into()], ..Selection::default() };
    let checks = selection.apply(checks::all());
    let runs = runner::run(&checks, &RunConfig { waivers, ..RunConfig::default() }, &mut |_, _, _| {});
    assert_eq!(runs.len(), 1);
    match &runs[0].outcome {
        Outcome::Waived { reason, underlying } => {
            assert_eq!(reason, "vendor bug 123, fixed in 2.0");
            assert_eq!(**underlying, Outcome::Pass);
        }
        other => panic!("{other:?}"),
    }
    assert!(Waivers::parse("registry::x:").is_err(), "a waiver without a reason is refused");
}

#[test]
fn a_wrong_error_code_is_a_failure_showing_both_codes() {
    // the mutant skips the rp check, so the next check (the nonce, which the
    // other verifier made) refuses instead: a refusal, but with the wrong code
    let selection = Selection { replay: Some("registry::rp_mismatch".into()), ..Selection::default() };
    let checks = selection.apply(checks::all());
    let config = RunConfig { sut: Sut::Mutant(Mutation::AcceptOtherRp), ..RunConfig::default() };
    let runs = runner::run(&checks, &config, &mut |_, _, _| {});
    match &runs[0].outcome {
        Outcome::Fail { requirement, expected, actual } => {
            assert_eq!(requirement.as_deref(), Some("USE-001"), "the failure names the rule that broke");
            assert_eq!(expected, "rp_mismatch");
            assert!(actual.starts_with("nonce_unknown"), "{actual}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn selection_by_id_glob_requirement_and_role() {
    let all = checks::all();
    let by_requirement = Selection { only: vec!["USE-006".into()], ..Selection::default() }.apply(all.clone());
    assert!(by_requirement.iter().all(|c| c.requirements.iter().any(|r| r == "USE-006")));
    assert!(!by_requirement.is_empty());
    let lifecycle = Selection { only: vec!["lifecycle::*".into()], ..Selection::default() }.apply(all.clone());
    assert!(lifecycle.len() >= 12 && lifecycle.iter().all(|c| c.id.starts_with("lifecycle::")));
    let skipped = Selection { skip: vec!["registry::*".into()], ..Selection::default() }.apply(all.clone());
    assert!(skipped.iter().all(|c| !c.id.starts_with("registry::")));
    let role = Selection { role: Some(checks::Role::Status), ..Selection::default() }.apply(all);
    assert!(role.iter().all(|c| c.role() == Some(checks::Role::Status)));
}

#[test]
fn the_junit_report_parses_with_one_testcase_per_check() {
    let runs = run_all(&RunConfig::default());
    let profile = SutProfile::default();
    let xml = report::junit::report(&RunSummary {
        sut: Sut::Reference,
        capabilities: &Capabilities::default(),
        seed: [7; 32],
        runs: &runs,
        profile: &profile,
        partial: false,
        timing: Default::default(),
    });
    let document = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = document.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), runs.len());
    let names: BTreeSet<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(names.len(), runs.len());
    let root = document.root_element();
    assert_eq!(root.attribute("tests"), Some(runs.len().to_string().as_str()));
    let properties: Vec<_> = document.descendants().filter(|n| n.has_tag_name("property")).collect();
    assert!(properties.iter().any(|p| p.attribute("name") == Some("spec_version")));
    assert!(properties.iter().any(|p| p.attribute("name") == Some("seed")));
}

/// The fast selection `cargo mutants` runs (.cargo/mutants.toml): every
/// check with fixed expectations (registry codes, vectors, repetition,
/// lifecycle scenarios, robustness, committed traces) on the reference.
/// A mutant of the reference changes the model too, so these are what can
/// catch it.
#[test]
fn the_reference_passes_every_check_but_the_property_run() {
    let selected = Selection { skip: vec!["property::*".into()], ..Selection::default() }.apply(checks::all());
    let runs = runner::run(&selected, &RunConfig::default(), &mut |_, _, _| {});
    let failed: Vec<String> = runs
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .map(|r| format!("{}: {:?}", r.check.id, r.outcome))
        .collect();
    assert_eq!(failed, Vec::<String>::new());
}

#[test]
fn the_chaos_checks_pass_on_the_reference_wallet_and_catch_one_that_retries_otherwise() {
    // the suite's chaos mode: a refused, a dropped and a delayed answer
    let selection = Selection { only: vec!["chaos::*".into(), "registry::retry_later".into()], ..Selection::default() };
    let chaos = selection.apply(checks::all());
    assert_eq!(chaos.len(), 3, "{:?}", chaos.iter().map(|c| &c.id).collect::<Vec<_>>());
    let reference = runner::run(&chaos, &RunConfig::default(), &mut |_, _, _| {});
    for run in &reference {
        assert!(matches!(run.outcome, Outcome::Pass), "{}: {:?}", run.check.id, run.outcome);
    }
    // a wallet that makes new keys, or a new idempotency key, on a retry
    for mutation in [Mutation::FreshKeysOnRetry, Mutation::NewIdempotencyKeyOnRetry] {
        let config = RunConfig { sut: Sut::Mutant(mutation), ..RunConfig::default() };
        let runs = runner::run(&chaos, &config, &mut |_, _, _| {});
        let caught = runner::catchers(&runs, mutation);
        for id in ["registry::retry_later", "chaos::answer-dropped-after-commit"] {
            assert!(caught.contains(&id), "{} not caught by {id} on ISS-015: {runs:?}", mutation.name());
        }
    }
}
