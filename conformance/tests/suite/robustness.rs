//! Robustness checks: junk around every vector file a SUT role judges is
//! refused with the state unchanged, and the good message then behaves as
//! if the junk never came; the mutant that accepts malformed (non-
//! deterministic) input fails them.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use jpki_conformance::checks::context::Sut;
use jpki_conformance::checks::{self, CheckKind};
use jpki_conformance::runner::{self, Outcome, RunConfig, Selection};
use jpki_reference::mutants::Mutation;

fn robustness_runs(sut: Sut) -> Vec<runner::CheckRun> {
    let selection = Selection { only: vec!["robustness::*".into()], ..Selection::default() };
    runner::run(&selection.apply(checks::all()), &RunConfig { sut, ..RunConfig::default() }, &mut |_, _, _| {})
}

#[test]
fn the_reference_passes_every_robustness_check() {
    let runs = robustness_runs(Sut::Reference);
    assert_eq!(runs.len(), 9, "one per vector file a SUT role judges");
    for run in runs {
        assert_eq!(run.check.kind, CheckKind::Robustness);
        assert_eq!(run.outcome, Outcome::Pass, "{}", run.check.id);
    }
}

#[test]
fn the_robustness_checks_pass_through_the_template_shim() {
    let shim = env!("CARGO_BIN_EXE_jpki-shim-reference");
    let runs = robustness_runs(Sut::Shim { command: shim.into(), mutation: None });
    for run in runs {
        assert_eq!(run.outcome, Outcome::Pass, "{}", run.check.id);
    }
}

#[test]
fn the_mutant_accepting_malformed_input_fails_them() {
    let runs = robustness_runs(Sut::Mutant(Mutation::AcceptNonDeterministicCbor));
    let failed: Vec<&str> =
        runs.iter().filter(|r| matches!(r.outcome, Outcome::Fail { .. })).map(|r| r.check.id.as_str()).collect();
    assert!(failed.contains(&"robustness::verifier-assertion"), "{failed:?}");
    let Outcome::Fail { actual, .. } =
        &runs.iter().find(|r| r.check.id == "robustness::verifier-assertion").unwrap().outcome
    else {
        unreachable!()
    };
    assert!(actual.contains("was accepted: input "), "the failure names the input for replay: {actual}");
}
