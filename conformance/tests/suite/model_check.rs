//! The bounded model checker: the reference's own transitions, explored
//! breadth-first on the symbolic provider with the attacker of
//! `spec/threat-model.md` playing, violate no invariant; a broken
//! transition (a built-in mutant) is reported with a shortest trace.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use jpki_conformance::model_check::{Action, Bounds, Counterexample, explore};
use jpki_reference::mutants::Mutation;

fn small() -> Bounds {
    Bounds { depth: 4, ..Bounds::default() }
}

fn found(mutation: Mutation) -> Counterexample {
    let found = explore(Some(mutation), &small(), &mut |_, _| {}).unwrap();
    found.counterexample.unwrap_or_else(|| panic!("{} not found", mutation.name()))
}

/// `mutation` is found as a violation starting with `broken` (`"invariant
/// 13:"`, `"threat A2.1:"`) with exactly `trace`, a shortest one.
fn found_as(mutation: Mutation, broken: &str, trace: &[Action]) {
    let counterexample = found(mutation);
    assert!(counterexample.violation.starts_with(broken), "{}: {}", mutation.name(), counterexample.violation);
    assert_eq!(counterexample.trace, trace, "{}", mutation.name());
}

#[test]
fn the_reference_violates_no_invariant_in_the_small_world() {
    let mut depths = Vec::new();
    let found = explore(None, &small(), &mut |depth, states| depths.push((depth, states))).unwrap();
    assert_eq!(found.counterexample, None);
    assert_eq!(found.depth, 4);
    // exhaustive: every depth adds states
    assert!(depths.windows(2).all(|w| w[1].1 > w[0].1), "{depths:?}");
    assert!(found.states > 20_000, "{found:?}");
    assert!(found.refusals > 0 && found.refusals < found.transitions);
    // and the figures are reproducible
    let shallow = Bounds { depth: 3, ..small() };
    assert_eq!(explore(None, &shallow, &mut |_, _| {}).unwrap(), explore(None, &shallow, &mut |_, _| {}).unwrap());
}

#[test]
fn a_broken_migration_is_reported_with_a_shortest_trace() {
    // MIG-003 switched off: migration path B leaves the old device's certificates live
    found_as(
        Mutation::OldDeviceStaysActive,
        "invariant 1:",
        &[Action::Issue { device: 0 }, Action::MigrateWithCard { old: 0, new: 1 }],
    );
}

#[test]
fn the_attacker_finds_path_a_minting_what_it_should_only_move() {
    // MIG-005: a modified wallet holding auth alone names a sign key too
    found_as(
        Mutation::MigrateAnyKind,
        "invariant 13:",
        &[Action::IssueAuth { device: 0 }, Action::MigrateExtraKinds { old: 0, new: 1 }, Action::Deliver { index: 0 }],
    );
    // MIG-006: a thief who knows the passcode moves sign
    found_as(
        Mutation::MigrateSignOnPasscode,
        "invariant 13:",
        &[Action::Issue { device: 0 }, Action::MigrateOnPasscode { old: 0, new: 1 }, Action::Deliver { index: 0 }],
    );
    // MIG-007: a phone "migrates" to itself
    found_as(
        Mutation::MigrateToSameDevice,
        "invariant 13:",
        &[Action::Issue { device: 0 }, Action::StartMigration { old: 0, new: 0 }, Action::Deliver { index: 0 }],
    );
}

#[test]
fn the_attacker_finds_status_taking_feeds_it_should_refuse() {
    // STA-006: a rogue verifier signs a feed suspending a live certificate
    found_as(
        Mutation::TrustAnyFeedSigner,
        "invariant 2:",
        &[Action::Issue { device: 0 }, Action::ForgeFeed { device: 0 }],
    );
    // STA-008: the issuance feed, replayed after a hold, lifts it at Status
    found_as(
        Mutation::AcceptStaleFeed,
        "invariant 2:",
        &[Action::Issue { device: 0 }, Action::Hold { action: 0 }, Action::Replay { known: 0, rp: 0 }],
    );
}

#[test]
fn a_rule_behind_another_is_not_reachable_alone() {
    // STA-007 is defence in depth: every feed that could undo a revocation
    // is older than the revocation's, so STA-008 refuses it first, and with
    // STA-007 alone switched off no explored state breaks an invariant (the
    // property runs see the mutant by its refusal code, feed_stale for
    // feed_conflict). Should STA-008 change, this test says so.
    let found = explore(Some(Mutation::FeedUndoesRevocation), &small(), &mut |_, _| {}).unwrap();
    assert_eq!(found.counterexample, None);
}

#[test]
fn the_attacker_finds_lost_answers_and_lying_receipts() {
    // ISS-006: the migration committed, its answer lost, the retry refused
    found_as(
        Mutation::ForgetIdempotencyKey,
        "invariant 12:",
        &[
            Action::Issue { device: 0 },
            Action::StartMigration { old: 0, new: 1 },
            Action::DeliverLosingAnswer { index: 0 },
            Action::Deliver { index: 0 },
        ],
    );
    // REV-010: a hold's receipt says "revoked"
    found_as(
        Mutation::ReceiptRestatesRequest,
        "invariant 15:",
        &[Action::Issue { device: 0 }, Action::Hold { action: 0 }],
    );
}

#[test]
fn the_attacker_reaches_its_goals_only_through_a_broken_rule() {
    // USE-005: a thief's sign use on the passcode is accepted
    found_as(
        Mutation::AcceptPasscodeForSign,
        "threat A2.1:",
        &[Action::Issue { device: 0 }, Action::SignOnPasscode { device: 0 }, Action::Deliver { index: 0 }],
    );
    // ISS-011: a modified wallet gets one key certified for both kinds
    found_as(Mutation::OneKeyTwoKinds, "threat A2.5:", &[Action::IssueSharedKey { device: 0 }]);
    // DEV-001: malware has the secure element sign without the holder
    found_as(
        Mutation::SignWithoutUv,
        "threat A2.6:",
        &[Action::Issue { device: 0 }, Action::UseWithoutUv { device: 0 }],
    );
}

#[test]
fn each_invariant_level_mutant_is_found() {
    // the other mutants whose broken rule shows in the world's invariants
    // (the rest change answers, not invariants: the property runs catch those)
    for (mutation, invariant) in
        [(Mutation::SkipStatusCheck, 3), (Mutation::NoUseNotification, 3), (Mutation::AcceptRevokedCardCert, 7)]
    {
        let counterexample = found(mutation);
        assert!(counterexample.violation.starts_with(&format!("invariant {invariant}:")), "{counterexample:?}");
        assert!(counterexample.trace.len() <= small().depth, "{counterexample:?}");
    }
}

/// The rows of `spec/threat-model.md`'s capability tables: (id, the
/// "countered by" cell).
fn threats() -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/threat-model.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let row = regex::Regex::new(r"^\| (A[0-9]+\.[0-9]+) \|[^|]*\| ([^|]*) \|").unwrap();
    text.lines().filter_map(|line| row.captures(line)).map(|c| (c[1].to_owned(), c[2].trim().to_owned())).collect()
}

#[test]
fn every_threat_is_countered_by_requirements_the_suite_drives() {
    use jpki_conformance::checks::{self, Target};
    let defined: std::collections::BTreeSet<String> =
        jpki_conformance::spec_index::requirements().into_iter().map(|r| r.id).collect();
    let driven: std::collections::BTreeSet<String> = checks::all()
        .into_iter()
        .filter(|check| matches!(check.target, Target::Sut(_)))
        .flat_map(|check| check.requirements)
        .collect();
    let id = regex::Regex::new(r"\b[A-Z]+-[0-9]{3}\b").unwrap();
    let rows = threats();
    // six adversaries, each with its capabilities
    let adversaries: std::collections::BTreeSet<&str> =
        rows.iter().map(|(capability, _)| capability.split('.').next().unwrap()).collect();
    assert_eq!(adversaries.len(), 6, "{adversaries:?}");
    let mut problems = Vec::new();
    for (capability, countered_by) in &rows {
        let ids: Vec<&str> = id.find_iter(countered_by).map(|m| m.as_str()).collect();
        if ids.is_empty() && !countered_by.starts_with("Not countered") {
            problems.push(format!("{capability}: names no requirement and does not say it is not countered"));
        }
        for requirement in ids {
            if !defined.contains(requirement) {
                problems.push(format!("{capability}: {requirement} is not a requirement of the spec"));
            } else if !driven.contains(requirement) {
                problems.push(format!("{capability}: {requirement} is enforced by no check that drives the SUT"));
            }
        }
    }
    assert!(problems.is_empty(), "spec/threat-model.md:\n{}", problems.join("\n"));
    assert!(rows.len() >= 40, "{} capabilities", rows.len());
}
