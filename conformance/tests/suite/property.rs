//! Model-based property runs: the reference agrees with itself, and every
//! built-in mutant is caught by the property check alone, with a shrunk trace.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use jpki_conformance::checks::context::{self, Sut};
use jpki_conformance::checks::trace::{self, TraceFile};
use jpki_conformance::checks::{self, property, transitions};
use jpki_conformance::external::project_vectors_dir;
use jpki_conformance::runner::{self, Outcome, RunConfig, Selection};
use jpki_reference::mutants::{Family, Mutation};

fn property_runs(sut: Sut) -> Vec<runner::CheckRun> {
    let selection = Selection { only: vec!["property::*".into()], ..Selection::default() };
    runner::run(&selection.apply(checks::all()), &RunConfig { sut, ..RunConfig::default() }, &mut |_, _, _| {})
}

#[test]
fn the_reference_matches_its_model_and_the_run_fires_every_observable_transition() {
    // INV-011: every step, same answer and same state
    let runs = property_runs(Sut::Reference);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].outcome, Outcome::Pass);
    // the operation mix reaches every transition spec/state-machines.md lets an observer see
    let tally = transitions::fired_in(&Sut::Reference.name(), &runs[0].seed).expect("the run published its tally");
    assert_eq!(transitions::never_fired(&tally), Vec::<&str>::new(), "{tally:#?}");
    // and no step moved a machine along a transition the table (reference/src/machines.rs) lacks
    assert_eq!(transitions::unlisted(&tally), Vec::<&str>::new(), "{tally:#?}");
}

#[test]
fn the_transitions_of_a_step_are_read_from_the_observations() {
    let mut world = property::world_for(false, [6; 32]);
    let (before, then) = (world.observe(), world.now());
    let op = property::Op::Issue { holder: 0, device: 0, kinds: 0, key: 1 };
    assert_eq!(property::apply(&mut world, &op), "ok");
    let fired = transitions::fired(&before, then, &world.observe(), world.now());
    let count = |name: &str| fired.iter().filter(|t| **t == name).count();
    // one challenge, completed in the same step; two kinds each made pending and installed, and certified
    assert_eq!(count("issuance-session: (none) → challenged"), 1, "{fired:?}");
    assert_eq!(count("issuance-session: challenged → completed"), 1, "{fired:?}");
    assert_eq!(count("credential: (none) → active"), 2);
    assert_eq!(count("device-key: (none) → pending"), 2);
    assert_eq!(count("device-key: pending → installed"), 2);
    assert_eq!(fired.len(), 8, "nothing else: {fired:?}");
    // nothing else moved
    let (before, then) = (world.observe(), world.now());
    world.advance(10);
    assert_eq!(transitions::fired(&before, then, &world.observe(), world.now()), Vec::<&str>::new());
}

#[test]
fn wrong_secrets_in_a_row_move_a_card_key_to_locked() {
    // the card-key transitions reference/src/machines.rs marks as beyond the property operations
    let mut world = property::world_for(false, [6; 32]);
    let mut fired = Vec::new();
    for _ in 0..jpki_reference::constants::AUTH_PIN_TRIES {
        let (before, then) = (world.observe(), world.now());
        property::apply(&mut world, &property::Op::WrongSecret { holder: 0, device: 0, password: false });
        fired.extend(transitions::fired(&before, then, &world.observe(), world.now()));
    }
    let card: Vec<&str> = fired.iter().copied().filter(|t| t.starts_with("card-key")).collect();
    let between = (jpki_reference::constants::AUTH_PIN_TRIES - 2) as usize;
    let mut expected = vec!["card-key: clear → failing"];
    expected.extend(std::iter::repeat_n("card-key: failing → failing", between));
    expected.push("card-key: failing → locked");
    assert_eq!(card, expected, "{fired:?}");
}

#[test]
fn a_move_the_transition_table_lacks_is_named_unlisted() {
    // an expired credential seen active again: no such transition in reference/src/machines.rs
    let mut world = property::world_for(false, [6; 32]);
    assert_eq!(property::apply(&mut world, &property::Op::Issue { holder: 0, device: 0, kinds: 0, key: 1 }), "ok");
    let (active, then) = (world.observe(), world.now());
    let not_after = active.issuer.certs.values().map(|c| c.not_after).max().unwrap();
    let later = not_after + 1;
    let fired = transitions::fired(&active, later, &active, then);
    assert_eq!(fired, vec!["unlisted: credential: expired → active"; 2], "{fired:?}");
    let mut tally = transitions::Tally::new();
    tally.insert(fired[0], 2);
    assert_eq!(transitions::unlisted(&tally), vec!["unlisted: credential: expired → active"]);
}

/// Mutants no operation sequence of the model reaches, and why. The suite
/// catches them with other checks (the mutant tests in tests/suite/runner.rs);
/// the property run and the committed traces make no claim about them.
const BEYOND_THE_OPERATIONS: [(Mutation, &str); 10] = [
    (
        Mutation::AckQueuedWipe,
        "it needs a wipe receipt for a command the Issuer never delivered, which no party \
         following the model's operations can hold; vectors::issuer-lifecycle hands the Issuer one",
    ),
    (Mutation::UnboundedNonces, "it needs MAX_OPEN_NONCES (1024) open nonces; a sequence has at most 24 operations"),
    (
        Mutation::ListBitOrder,
        "it shows only in a status list, which no property operation reads (a list read is not a use, STL-007); \
         status-list::each-certificate-through-its-life reads one",
    ),
    (
        Mutation::KeepIdempotencyForever,
        "it needs a retry a retention period (a day) after its answer; Advance moves at most 700 s",
    ),
    // the random mix draws no qualification step (its rarest lifecycle transitions fire only at the
    // present weights); each has a committed trace (below) and the qualification::* checks
    (Mutation::ReleaseUnrequested, QUALIFICATION),
    (Mutation::ReleaseWithoutConsent, QUALIFICATION),
    (Mutation::MdocSkipDigests, QUALIFICATION),
    (Mutation::MdocAcceptExpired, QUALIFICATION),
    (Mutation::MdocAnyTranscript, QUALIFICATION),
    (Mutation::MdocOutlivesRevocation, QUALIFICATION),
];

const QUALIFICATION: &str =
    "the random operation mix draws no qualification step; its trace and qualification::* catch it";

/// The mutants beyond the random mix that a committed trace witnesses all the same.
fn traced_beyond() -> Vec<Mutation> {
    BEYOND_THE_OPERATIONS.iter().filter(|(_, why)| *why == QUALIFICATION).map(|(m, _)| *m).collect()
}

/// The mutants the property operations can reach.
fn reachable() -> Vec<Mutation> {
    // step mutants change the model too (they ride in the thread): only fixed expectations catch them
    Mutation::ALL
        .into_iter()
        .filter(|m| m.family() == Family::Scenario)
        .filter(|m| BEYOND_THE_OPERATIONS.iter().all(|(beyond, _)| beyond != m))
        .collect()
}

fn committed_trace(mutation: Mutation) -> TraceFile {
    let path = project_vectors_dir().join("traces").join(format!("{}.trace.json", mutation.name()));
    TraceFile::read(&path).unwrap_or_else(|e| panic!("a hand-written minimal trace for {}: {e}", mutation.name()))
}

fn replays_on(sut: Sut, trace: &TraceFile) -> Result<(), jpki_conformance::checks::divergence::Divergence> {
    context::enter(sut, [0; 32]);
    trace.replay()
}

/// Each mutant has a hand-written minimal trace in vectors/traces/: it
/// replays cleanly on the reference and fails on that mutant.
#[test]
fn every_committed_trace_witnesses_its_mutant() {
    let traced: Vec<Mutation> = reachable().into_iter().chain(traced_beyond()).collect();
    for &mutation in &traced {
        let trace = committed_trace(mutation);
        assert_eq!(replays_on(Sut::Reference, &trace), Ok(()), "{}", mutation.name());
        let parted = replays_on(Sut::Mutant(mutation), &trace).expect_err("the trace catches its mutant");
        // and the divergence names the rule the mutant breaks
        assert_eq!(parted.requirement.as_deref(), Some(mutation.requirement()), "{}: {parted}", mutation.name());
    }
    assert_eq!(trace::committed().len(), traced.len(), "one committed trace per traced mutant, no strays");
}

/// The property check alone catches every mutant; its shrunk trace is no
/// longer than the hand-written one, and the trace vector it writes
/// replays (and fails on the mutant) like any committed trace.
fn caught_with_a_minimal_trace(mutation: Mutation) {
    let out = std::env::temp_dir().join(format!("jpki-traces-{}-{}", std::process::id(), mutation.name()));
    let config = RunConfig { sut: Sut::Mutant(mutation), trace_out: Some(out.clone()), ..RunConfig::default() };
    let selection = Selection { only: vec!["property::*".into()], ..Selection::default() };
    let runs = runner::run(&selection.apply(checks::all()), &config, &mut |_, _, _| {});
    let Outcome::Fail { actual, requirement, .. } = &runs[0].outcome else {
        panic!("{} survived the property run: {:?}", mutation.name(), runs[0].outcome)
    };
    // the failure names the rule of the step that broke (skip-status-check may first break
    // USE-012, reading an unreachable Status as good, before USE-013)
    let named = requirement.as_deref().unwrap_or_else(|| panic!("{}: no requirement named: {actual}", mutation.name()));
    assert!(runs[0].check.requirements.iter().any(|r| r == named), "{}: {named}", mutation.name());
    let written = TraceFile::read(&out.join("property-lifecycle-model.trace.json")).unwrap();
    let limit = committed_trace(mutation).ops.len();
    assert!(
        written.ops.len() <= limit,
        "{}: shrunk to {} ops, hand-written {limit}: {actual}",
        mutation.name(),
        written.ops.len()
    );
    assert!(replays_on(Sut::Mutant(mutation), &written).is_err(), "{}: the exported trace replays", mutation.name());
    assert_eq!(replays_on(Sut::Reference, &written), Ok(()));
    let _ = std::fs::remove_dir_all(out);
}

/// The property check alone catches every mutant; its shrunk trace is no
/// longer than the hand-written one, and the trace vector it writes
/// replays (and fails on the mutant) like any committed trace. Two threads:
/// the runs are independent (each thread has its own check context).
#[test]
fn every_mutant_is_caught_by_the_property_run_alone_with_a_minimal_trace() {
    let mutants = reachable();
    let (first, second) = mutants.split_at(mutants.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| second.iter().for_each(|m| caught_with_a_minimal_trace(*m)));
        first.iter().for_each(|m| caught_with_a_minimal_trace(*m));
        other.join().unwrap();
    });
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
    assert_eq!(first.observe(), second.observe());
}

#[test]
fn a_state_differing_only_in_notification_keys_names_ntf_001() {
    use jpki_conformance::checks::divergence::state_requirement;
    let mut world = property::world_for(false, [5; 32]);
    let op = property::Op::Issue { holder: 0, device: 0, kinds: 0, key: 1 };
    assert_eq!(property::apply(&mut world, &op), "ok");
    let model = world.observe();
    let mut sut = model.clone();
    sut.issuer.outbox[0].key = b"Issued:somebody's own format".to_vec();
    assert_eq!(state_requirement(&op, &model, &sut).as_deref(), Some("NTF-001"));
    // any other difference is the operation's own rule
    sut.issuer.outbox[0].time += 1;
    assert_eq!(state_requirement(&op, &model, &sut).as_deref(), Some("ISS-009"));
}

#[test]
fn the_chain_cache_changes_no_answer_and_no_state_over_a_property_run() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let ops = proptest::collection::vec(property::op(), 80).new_tree(&mut runner).unwrap().current();
    let run = |ops: &[property::Op]| {
        let mut w = property::world_for(false, [12; 32]);
        ops.iter().map(|op| (property::apply(&mut w, op), w.observe())).collect::<Vec<_>>()
    };
    let cached = run(&ops);
    let validated_afresh = jpki_reference::pki::without_chain_cache(|| run(&ops));
    assert_eq!(cached.len(), validated_afresh.len());
    for (step, (with, without)) in cached.iter().zip(&validated_afresh).enumerate() {
        assert_eq!(with, without, "step {step}: {:?}", ops[step]);
    }
}

#[test]
fn a_refusal_that_changed_state_is_named_as_such_with_the_parts_that_differ() {
    use jpki_conformance::checks::divergence::compare_step;
    let issue = property::Op::Issue { holder: 0, device: 0, kinds: 0, key: 1 };
    let (mut model, mut sut) = (property::world_for(false, [8; 32]), property::world_for(false, [8; 32]));
    for world in [&mut model, &mut sut] {
        assert_eq!(property::apply(world, &issue), "ok");
    }
    // the SUT "refused" a use but consumed a nonce and moved a counter on the way
    let replay = property::Op::Replay { device: 0 };
    property::apply(&mut sut, &property::Op::Authenticate { device: 0, rp: 0 });
    let divergence = compare_step(3, &replay, (&model, "nonce_reused"), (&sut, "nonce_reused")).unwrap_err();
    assert!(divergence.detail.contains("both refused with nonce_reused, yet the states differ"), "{divergence}");
    assert!(divergence.detail.contains("verifiers[gov.example.jp].nonces"), "{divergence}");
    assert!(divergence.detail.contains("devices[d0].installed"), "the device's counter too: {divergence}");
    assert!(!divergence.detail.contains("issuer."), "the Issuer is alike: {divergence}");
}
