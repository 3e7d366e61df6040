//! The reports of one small, fixed run, kept as reviewed snapshots (insta):
//! a change to what a report says, or how, shows up as a diff to review.
//! The run is a few checks on one built-in mutant, one of which fails (so
//! every section of the reports has something in it); the fields that
//! say how long things took are redacted, and the vector-set digest (it
//! moves with every vector rebuild) is shown as a placeholder.
//!
//! To re-record after a deliberate change: `INSTA_UPDATE=always cargo test
//! -p jpki-conformance --test suite snapshots::`, then review the diff of
//! `tests/suite/snapshots/` before committing.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use jpki_conformance::checks::{self, context::Sut};
use jpki_conformance::report::{self, RunSummary};
use jpki_conformance::runner::{self, Capabilities, CheckRun, RunConfig, Selection, SutProfile};
use jpki_reference::mutants::Mutation;

/// One SUT throughout (so the replay commands in the reports are right):
/// the mutant that ignores counters, which passes these checks but one.
const SUT: Sut = Sut::Mutant(Mutation::IgnoreCounter);

fn fixed_run() -> Vec<CheckRun> {
    let pick = Selection {
        only: vec![
            "registry::rp_mismatch".into(),
            "registry::counter_regression".into(),
            "lifecycle::suspension-then-resumption".into(),
            "encoding::what-the-verifier-sends".into(),
            "suite::status-list-table".into(),
        ],
        ..Selection::default()
    };
    runner::run(&pick.apply(checks::all()), &RunConfig { sut: SUT, ..RunConfig::default() }, &mut |_, _, _| {})
}

fn with_summary<T>(run: impl FnOnce(&RunSummary<'_>) -> T) -> T {
    let runs = fixed_run();
    let capabilities = Capabilities { identity: Some("Example Wallet 1.0".into()), ..Capabilities::default() };
    let profile = SutProfile::default();
    let summary = RunSummary {
        sut: SUT,
        capabilities: &capabilities,
        seed: [5; 32],
        runs: &runs,
        profile: &profile,
        partial: true,
        timing: Default::default(),
    };
    run(&summary)
}

#[test]
fn json_report() {
    let mut json = with_summary(report::json::report);
    json["timing"] = "[redacted: timing]".into();
    // the vector-set digest moves with every vector rebuild; the HTML snapshot shows a placeholder too
    json["vector_digest"] = "[vector-set digest]".into();
    for check in json["checks"].as_array_mut().unwrap() {
        check["duration_ms"] = "[redacted: timing]".into();
    }
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn junit_report() {
    insta::assert_snapshot!(with_summary(report::junit::report));
}

#[test]
fn html_report() {
    insta::assert_snapshot!(with_summary(|summary| report::html::report(summary, "[vector-set digest]")));
}
