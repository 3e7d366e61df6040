//! The bounded model checker: the reference's own transitions, explored
//! breadth-first on the symbolic provider, violate no invariant; a broken
//! transition (a built-in mutant) is reported with a shortest trace.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use jpki_conformance::model_check::{Action, Bounds, explore};
use jpki_reference::mutants::Mutation;

fn small() -> Bounds {
    Bounds { depth: 4, ..Bounds::default() }
}

#[test]
fn the_reference_violates_no_invariant_in_the_small_world() {
    let mut depths = Vec::new();
    let found = explore(None, &small(), &mut |depth, states| depths.push((depth, states))).unwrap();
    assert_eq!(found.counterexample, None);
    assert_eq!(found.depth, 4);
    // exhaustive: every depth adds states, and the figures are reproducible
    assert!(depths.windows(2).all(|w| w[1].1 > w[0].1), "{depths:?}");
    assert!(found.states > 1000, "{found:?}");
    assert!(found.refusals > 0 && found.refusals < found.transitions);
    assert_eq!(explore(None, &small(), &mut |_, _| {}).unwrap(), found);
}

#[test]
fn a_broken_migration_is_reported_with_a_shortest_trace() {
    // MIG-003 switched off: migration path B leaves the old device's certificates live
    let found = explore(Some(Mutation::OldDeviceStaysActive), &small(), &mut |_, _| {}).unwrap();
    let counterexample = found.counterexample.expect("the broken transition is found");
    assert!(counterexample.violation.starts_with("invariant 1:"), "{}", counterexample.violation);
    assert_eq!(counterexample.trace, [Action::Issue { device: 0 }, Action::MigrateWithCard { old: 0, new: 1 }]);
}

#[test]
fn each_invariant_level_mutant_is_found() {
    // the mutants whose broken rule shows in the world's invariants (the
    // others change answers, not invariants: the property runs catch those)
    for (mutation, invariant) in
        [(Mutation::SkipStatusCheck, 3), (Mutation::NoUseNotification, 3), (Mutation::AcceptRevokedCardCert, 7)]
    {
        let found = explore(Some(mutation), &small(), &mut |_, _| {}).unwrap();
        let counterexample = found.counterexample.unwrap_or_else(|| panic!("{} not found", mutation.name()));
        assert!(counterexample.violation.starts_with(&format!("invariant {invariant}:")), "{counterexample:?}");
        assert!(counterexample.trace.len() <= small().depth, "{counterexample:?}");
    }
}
