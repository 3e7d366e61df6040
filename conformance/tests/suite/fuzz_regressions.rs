//! Fuzzing on stable, without cargo-fuzz: every target's body replays its
//! seed corpus (made from the vectors) and every committed regression input
//! under `fuzz/regressions/<target>/`, so CI exercises the targets on each
//! change. A regression file is an input a fuzzer once found failing, kept
//! after the fix.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use std::path::PathBuf;

use jpki_conformance::fuzz_corpus::seed_corpus;
use jpki_conformance::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

#[test]
fn every_target_has_a_cargo_fuzz_binary() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for (name, _) in TARGETS {
        assert!(manifest.contains(&format!("name = \"{name}\"")), "fuzz/Cargo.toml lacks the target {name}");
        assert!(fuzz_dir().join(format!("fuzz_targets/{name}.rs")).exists(), "no fuzz_targets/{name}.rs");
    }
}

#[test]
fn the_seed_corpus_replays_through_every_target() {
    let corpus = seed_corpus().unwrap();
    for (name, target) in TARGETS {
        let seeds = corpus.get(name).unwrap_or_else(|| panic!("no seeds for {name}"));
        assert!(!seeds.is_empty(), "{name}");
        for bytes in seeds.values() {
            target(bytes);
        }
    }
}

#[test]
fn the_committed_regressions_replay() {
    let mut replayed = 0;
    for (name, target) in TARGETS {
        let dir = fuzz_dir().join("regressions").join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            target(&std::fs::read(&path).unwrap());
            replayed += 1;
        }
    }
    let known: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    for entry in std::fs::read_dir(fuzz_dir().join("regressions")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(name == "README.md" || known.contains(&name.as_str()), "regressions/{name}: no such target");
    }
    eprintln!("{replayed} regression inputs replayed");
}

/// The lifecycle target reports a broken rule: the operations that make
/// the old-device mutant keep two live certificates panic there, and pass
/// on the reference.
#[test]
fn the_lifecycle_target_panics_on_a_broken_transition() {
    use jpki_conformance::checks::property::Op;
    use jpki_conformance::fuzzing::run_ops;
    use jpki_reference::mutants::Mutation;
    let ops = [Op::Issue { holder: 0, device: 0, kinds: 0, key: 0 }, Op::MigrateCard { holder: 0, old: 0, new: 1 }];
    run_ops(None, &ops);
    let broken = std::panic::catch_unwind(|| run_ops(Some(Mutation::OldDeviceStaysActive), &ops));
    let message = broken.expect_err("the violation panics");
    let text = message.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("invariant 1 violated"), "{text}");
}
