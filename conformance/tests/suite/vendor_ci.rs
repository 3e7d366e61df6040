//! The vendor's CI recipe (docs/vendor-ci.md) as written: its local block
//! starts the reference server and runs `docs/vendor-ci/run-suite.sh`
//! against it. Here with a few checks (a trial the script must call not
//! certified, exit 3, and 0 when told a trial is meant); `.ci/run` runs the
//! block whole, where it must certify and exit 0.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The recipe's local block: the `sh` block that starts with a shebang.
fn local_block() -> String {
    let doc = std::fs::read_to_string(root().join("docs/vendor-ci.md")).unwrap();
    let start = doc.find("```sh\n#!/usr/bin/env bash\n").expect("the local block") + "```sh\n".len();
    let end = start + doc[start..].find("```").unwrap();
    doc[start..end].to_owned()
}

fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

fn recipe(reports: &Path, allow_not_certified: bool, args: &[&str]) -> Output {
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(local_block())
        .arg("local-block")
        .args(args)
        .current_dir(root())
        .env("JPKI_SUITE", env!("CARGO_BIN_EXE_jpki-conformance"))
        .env("LISTEN", free_address())
        .env("JPKI_REPORTS", reports);
    if allow_not_certified {
        command.env("JPKI_ALLOW_NOT_CERTIFIED", "1");
    }
    command.output().unwrap()
}

#[test]
fn the_vendor_recipe_runs_against_the_reference_server_and_fails_a_trial_as_not_certified() {
    let reports = std::env::temp_dir().join(format!("jpki-vendor-ci-{}", std::process::id()));
    let trial = ["--only", "http::*", "--only", "registry::method_not_allowed"];
    let run = recipe(&reports, false, &trial);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(3), "a partial run is not certified: exit 3\n{stdout}");
    assert!(stdout.contains("run-suite.sh: verdict: NOT CERTIFIED"), "{stdout}");
    for file in ["report.json", "junit.xml", "report.html", "suite.log"] {
        assert!(reports.join(file).exists(), "{file} not kept");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("report.json")).unwrap()).unwrap();
    assert!(report["checks"].as_array().unwrap().iter().all(|c| c["outcome"] == "pass"), "{report}");
    assert_eq!(report["verdict"]["certified"], false);
    // the same trial, meant as one
    let run = recipe(&reports, true, &trial);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stdout));
    std::fs::remove_dir_all(&reports).ok();
}
