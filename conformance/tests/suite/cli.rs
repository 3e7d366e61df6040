//! The command line as a user runs it: exit codes, output, reports, replay.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use std::process::Command;

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jpki-conformance"))
}

fn out_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("jpki-cli-{name}-{}", std::process::id()))
}

#[test]
fn run_passes_every_check_and_writes_both_reports() {
    let out = out_dir("run");
    let output = cli().args(["run", "--out"]).arg(&out).env_remove("JPKI_EXTERNAL_VECTORS").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains(" passed, 0 failed, 0 skipped"), "{stdout}");
    assert!(stdout.contains("role      pass  fail"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let checks = report["checks"].as_array().unwrap();
    assert!(checks.len() > 80);
    assert!(checks.iter().all(|c| c["outcome"] == "pass"), "{report}");
    assert!(std::fs::read_to_string(out.join("junit.xml")).unwrap().contains("<testsuites"));
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn missing_external_vectors_fail_with_the_folder_named() {
    let out = out_dir("missing");
    let missing = "/nonexistent/jpki-external-vectors";
    let run = |allow: bool| {
        let mut command = cli();
        command.args(["run", "--only", "suite::*", "--out"]).arg(&out).env("JPKI_EXTERNAL_VECTORS", missing);
        if allow {
            command.env("JPKI_ALLOW_MISSING_VECTORS", "1");
        } else {
            command.env_remove("JPKI_ALLOW_MISSING_VECTORS");
        }
        command.output().unwrap()
    };
    let output = run(false);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(missing), "{stdout}");
    assert!(stdout.contains(" passed, 2 failed, 0 skipped"), "{stdout}");
    let allowed = run(true);
    let stdout = String::from_utf8_lossy(&allowed.stdout);
    assert!(allowed.status.success(), "{stdout}");
    assert!(stdout.contains(" passed, 0 failed, 2 skipped"), "{stdout}");
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn replay_reruns_one_check_with_the_same_seed_and_outcome() {
    let out = out_dir("replay");
    let seed = "11".repeat(32);
    let replay = || {
        let output = cli()
            .args([
                "run",
                "--sut",
                "mutant:ignore-counter",
                "--seed",
                &seed,
                "--replay",
                "registry::counter_regression",
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        let mut report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
        // the check's own time is the one field two runs may not share
        for check in report["checks"].as_array_mut().unwrap() {
            check.as_object_mut().unwrap().remove("duration_ms");
        }
        (output.status.code(), report["checks"].clone())
    };
    let (first_code, first) = replay();
    let (second_code, second) = replay();
    assert_eq!(first_code, Some(1));
    assert_eq!(first.as_array().unwrap().len(), 1);
    assert_eq!(first[0]["id"], "registry::counter_regression");
    assert_eq!(first[0]["outcome"], "fail");
    assert_eq!((first_code, &first), (second_code, &second));
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn bad_arguments_exit_2_and_list_names_requirements() {
    assert_eq!(cli().arg("frobnicate").output().unwrap().status.code(), Some(2));
    assert_eq!(cli().args(["run", "--sut", "mutant:nope"]).output().unwrap().status.code(), Some(2));
    assert_eq!(cli().args(["run", "--replay", "no::such"]).output().unwrap().status.code(), Some(2));
    let list = cli().arg("list").output().unwrap();
    assert!(list.status.success());
    let stdout = String::from_utf8_lossy(&list.stdout);
    assert!(stdout.contains("suite::wycheproof-ecdsa-p256-p1363") && stdout.contains("USE-006"));
    // every check shows whom it judges, declared where it is defined
    let line = |id: &str| stdout.lines().find(|l| l.starts_with(id)).unwrap_or_default().to_owned();
    assert!(line("registry::untrusted_chain ").contains(" verifier "), "{}", line("registry::untrusted_chain "));
    assert!(line("suite::pki-fixture-chains ").contains(" suite "));
}

#[test]
fn coverage_finds_every_requirement_enforced_and_the_diagrams_current() {
    // the command CI runs: every requirement checked, self-tested or untestable with its reason
    let output = cli().args(["coverage", "--verbose"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains(", 0 uncovered"), "{stdout}");
    assert!(
        stdout.contains("SUS-005   checked      checks: lifecycle::a-hold-that-outlives-the-certificates"),
        "{stdout}"
    );
    assert!(!stdout.contains("gap:"), "{stdout}");
    let output = cli().args(["diagrams", "--check"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn every_declared_unit_test_exists_where_it_says() {
    // jpki_conformance::unit_tests names tests by file and function: each must be a #[test] there
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for test in jpki_conformance::unit_tests::ALL {
        let text = std::fs::read_to_string(root.join(test.file)).unwrap_or_else(|e| panic!("{}: {e}", test.file));
        let at =
            text.find(&format!("fn {}(", test.name)).unwrap_or_else(|| panic!("{} is not in {}", test.name, test.file));
        let before: Vec<&str> = text[..at].lines().rev().take(3).collect();
        assert!(before.iter().any(|l| l.trim_start().starts_with("#[test]")), "{} is not a #[test]", test.label());
    }
}
