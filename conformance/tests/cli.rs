//! The main job as a user runs it: exit codes, output and the report file.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use std::process::Command;

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jpki-conformance"))
}

#[test]
fn run_passes_every_check_and_writes_a_report() {
    let out = std::env::temp_dir().join(format!("jpki-cli-run-{}", std::process::id()));
    let output = cli().args(["run", "--out"]).arg(&out).env_remove("JPKI_EXTERNAL_VECTORS").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("9 passed, 0 failed, 0 skipped"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let checks = report["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 9);
    assert!(checks.iter().all(|c| c["verdict"] == "pass"), "{report}");
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn missing_external_vectors_fail_with_the_folder_named() {
    let out = std::env::temp_dir().join(format!("jpki-cli-missing-{}", std::process::id()));
    let missing = "/nonexistent/jpki-external-vectors";
    let output = cli()
        .args(["run", "--out"])
        .arg(&out)
        .env("JPKI_EXTERNAL_VECTORS", missing)
        .env_remove("JPKI_ALLOW_MISSING_VECTORS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(missing), "{stdout}");
    assert!(stdout.contains("7 passed, 2 failed, 0 skipped"), "{stdout}");

    let allowed = cli()
        .args(["run", "--out"])
        .arg(&out)
        .env("JPKI_EXTERNAL_VECTORS", missing)
        .env("JPKI_ALLOW_MISSING_VECTORS", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&allowed.stdout);
    assert!(allowed.status.success(), "{stdout}");
    assert!(stdout.contains("7 passed, 0 failed, 2 skipped"), "{stdout}");
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn bad_arguments_exit_2_and_list_names_requirements() {
    assert_eq!(cli().arg("frobnicate").output().unwrap().status.code(), Some(2));
    let list = cli().arg("list").output().unwrap();
    assert!(list.status.success());
    assert!(String::from_utf8_lossy(&list.stdout).contains("external::wycheproof-ecdsa-p256-p1363"));
}
