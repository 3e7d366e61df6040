//! Model-based property runs: the reference agrees with itself, and every
//! built-in mutant is caught by the property check alone, with a shrunk trace.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use jpki_conformance::checks::context::Sut;
use jpki_conformance::checks::{self, property};
use jpki_conformance::runner::{self, Outcome, RunConfig, Selection};
use jpki_reference::mutants::Mutation;

fn property_runs(sut: Sut) -> Vec<runner::CheckRun> {
    let selection = Selection { only: vec!["property::*".into()], ..Selection::default() };
    runner::run(&selection.apply(checks::all()), &RunConfig { sut, ..RunConfig::default() }, &mut |_, _, _| {})
}

#[test]
fn the_reference_matches_its_model() {
    // INV-011: every step, same answer and same state
    let runs = property_runs(Sut::Reference);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].outcome, Outcome::Pass);
}

#[test]
fn every_mutant_is_caught_by_the_property_run_alone_with_a_short_trace() {
    for mutation in Mutation::ALL {
        let runs = property_runs(Sut::Mutant(mutation));
        match &runs[0].outcome {
            Outcome::Fail { actual, .. } => {
                let ops = actual.split("shrunk trace (").nth(1).and_then(|t| t.split(' ').next()).unwrap();
                let ops: usize = ops.parse().unwrap();
                assert!(ops <= 3, "{}: trace of {ops} ops: {actual}", mutation.name());
            }
            other => panic!("{} survived the property run: {other:?}", mutation.name()),
        }
    }
}

#[test]
fn a_run_is_reproducible_from_its_seed() {
    let ops = [
        property::Op::Issue { holder: 0, device: 0, kinds: 0, key: 1 },
        property::Op::Authenticate { device: 0, rp: 1 },
        property::Op::Replay { device: 0 },
    ];
    let mut first = jpki_reference::world::World::new([1; 32]).unwrap();
    let mut second = jpki_reference::world::World::new([1; 32]).unwrap();
    for world in [&mut first, &mut second] {
        world
            .add_holder(
                "h0",
                jpki_reference::pki::HolderAttributes {
                    name: "n".into(),
                    address: "a".into(),
                    date_of_birth: jpki_reference::time::CivilDate::new(1990, 1, 1).unwrap(),
                    sex: jpki_reference::pki::Sex::NotKnown,
                },
            )
            .unwrap();
        world.add_device("d0");
    }
    let a: Vec<String> = ops.iter().map(|op| property::apply(&mut first, op)).collect();
    let b: Vec<String> = ops.iter().map(|op| property::apply(&mut second, op)).collect();
    assert_eq!(a, b);
    assert_eq!(a, ["ok", "ok", "ok,nonce_reused"]);
    assert_eq!(first.snapshot(), second.snapshot());
}
