//! The state diagrams in spec/ are drawn from the transition table
//! (reference/src/machines.rs), and the spec shows each of them.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use std::path::PathBuf;

use jpki_conformance::diagrams;
use jpki_reference::machines;

fn spec() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec")
}

#[test]
fn the_committed_diagrams_are_drawn_from_the_transition_table() {
    // every drawing current, nothing drawn by hand or left from a machine that is gone
    let stale = diagrams::stale(&spec());
    assert!(
        stale.is_empty(),
        "spec/diagrams/ differs from reference/src/machines.rs: {stale:?}; run `cargo run -p jpki-conformance -- diagrams` and commit"
    );
}

#[test]
fn the_spec_shows_every_machine_s_diagram_and_no_hand_drawn_one() {
    let text = std::fs::read_to_string(spec().join("state-machines.md")).unwrap();
    for machine in machines::ALL {
        assert!(text.contains(&format!("(diagrams/{}.svg)", machine.name)), "{} is not shown", machine.name);
    }
    assert!(!text.contains("```mermaid"), "a hand-drawn diagram is back in spec/state-machines.md");
}

#[test]
fn a_changed_table_changes_the_drawing() {
    // the check above can fail: a transition added to a machine changes its SVG and DOT
    let mut transitions = machines::CREDENTIAL.transitions.to_vec();
    transitions.push(machines::Transition {
        from: "expired",
        to: "active",
        on: "renewal in place",
        requirements: &["SUS-005"],
        unobserved: None,
        beyond_operations: None,
    });
    let leaked: &'static [machines::Transition] = Box::leak(transitions.into_boxed_slice());
    let changed = machines::Machine { transitions: leaked, ..machines::CREDENTIAL };
    let plain: diagrams::EdgeClass<'_> = &|_| None;
    assert_ne!(diagrams::svg(&changed, plain, false), diagrams::svg(&machines::CREDENTIAL, plain, false));
    assert!(diagrams::dot(&changed).contains("\"expired\" -> \"active\""));
}
