//! The certification report (HTML) and signed results.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use std::process::Command;

use jpki_conformance::checks::{self, context::Sut};
use jpki_conformance::report::{self, RunSummary};
use jpki_conformance::runner::{self, Capabilities, RunConfig, Selection, SutProfile, Waivers};
use jpki_conformance::spec_index;
use jpki_reference::Code;
use jpki_reference::crypto::default_provider;
use jpki_reference::mutants::Mutation;

#[test]
fn the_html_report_names_every_requirement_and_shows_failures() {
    let mut runs = runner::run(&checks::all(), &RunConfig::default(), &mut |_, _, _| {});
    let replay = Selection { replay: Some("registry::counter_regression".into()), ..Selection::default() };
    let mutant = RunConfig { sut: Sut::Mutant(Mutation::IgnoreCounter), ..RunConfig::default() };
    runs.extend(runner::run(&replay.apply(checks::all()), &mutant, &mut |_, _, _| {}));
    let capabilities = Capabilities { identity: Some("Example <Wallet> & Co".into()), ..Capabilities::default() };
    let profile = SutProfile::default();
    let summary = RunSummary {
        sut: Sut::Reference,
        capabilities: &capabilities,
        seed: [5; 32],
        runs: &runs,
        profile: &profile,
        partial: false,
        timing: Default::default(),
    };
    let html = report::html::report(&summary, "abc123");
    assert!(html.contains("NOT CERTIFIED"), "the verdict comes first, and a failure forbids it");
    let requirements = spec_index::requirements();
    assert!(requirements.len() > 100, "{} requirements parsed from spec/", requirements.len());
    for requirement in &requirements {
        assert!(html.contains(&format!("<code>{}</code>", requirement.id)), "{} missing", requirement.id);
    }
    assert!(html.contains("abc123") && html.contains("Example &lt;Wallet&gt; &amp; Co"));
    assert!(html.contains("id=\"requirement-table\""));
    assert!(html.contains("--replay registry::counter_regression"));
    // self-contained: nothing fetched, one inline script (the table's filters)
    assert!(!html.contains(" src=") && !html.contains("href=\"http"), "nothing fetched");
    assert_eq!(html.matches("<script>").count(), 1);
    // the verdict first, then the picture, the failures, the table, the diagrams
    let at = |marker: &str| html.find(marker).unwrap_or_else(|| panic!("{marker} missing"));
    assert!(at("id=\"verdict\"") < at("id=\"picture\""));
    assert!(at("id=\"picture\"") < at("id=\"failures\""));
    assert!(at("id=\"failures\"") < at("id=\"requirement-table\""));
    assert!(at("id=\"requirement-table\"") < at("id=\"state-diagrams\""));
    assert_eq!(html.matches("class=\"jd-diagram\"").count(), jpki_reference::machines::ALL.len());
    // the failed requirement's transitions are red: USE-006 rules the verifier counter's
    assert!(html.contains("data-machine=\"verifier-counter\""));
    assert!(html.contains("jd-edge jd-fail"), "a failure colours its transitions");
}

#[test]
fn a_signed_report_verifies_and_one_edited_byte_fails() {
    let provider = default_provider();
    let key = report::signing::generate(provider, [9; 32]).unwrap();
    let public = report::signing::public_to_cose(&key.public).unwrap();
    let json = br#"{"schema":"jpki-conformance-report/1","checks":[]}"#.to_vec();
    let signed = report::signing::sign_report(provider, &key, &json).unwrap();
    assert_eq!(report::signing::verify_report(provider, &signed, &public, Some(&json)).unwrap(), json);
    // one byte of the report file edited
    let mut edited = json.clone();
    edited[12] ^= 1;
    let err = report::signing::verify_report(provider, &signed, &public, Some(&edited)).unwrap_err();
    assert_eq!(err.code, Code::BadSignature);
    // one byte of the signed payload edited
    let mut tampered = signed.clone();
    let at = tampered.windows(6).position(|w| w == b"checks").unwrap();
    tampered[at] = b'C';
    let err = report::signing::verify_report(provider, &tampered, &public, None).unwrap_err();
    assert_eq!(err.code, Code::BadSignature);
    // another key
    let other = report::signing::public_to_cose(&report::signing::generate(provider, [8; 32]).unwrap().public).unwrap();
    assert_eq!(report::signing::verify_report(provider, &signed, &other, None).unwrap_err().code, Code::BadSignature);
    // the key file round-trips
    let reread = report::signing::secret_from_hex(provider, &report::signing::secret_to_hex(&key)).unwrap();
    assert_eq!(reread, key);
}

#[test]
fn run_sign_with_and_verify_report_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("jpki-signed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cli = || Command::new(env!("CARGO_BIN_EXE_jpki-conformance"));
    let stem = dir.join("certifier");
    assert!(cli().arg("keygen").arg(&stem).output().unwrap().status.success());
    let out = dir.join("out");
    let run = cli()
        .args(["run", "--only", "registry::rp_mismatch", "--sign-with"])
        .arg(stem.with_extension("hex"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stdout));
    assert!(out.join("report.html").exists());
    let verify = |report: &std::path::Path| {
        cli()
            .arg("verify-report")
            .arg(out.join("report.json.cose"))
            .arg("--key")
            .arg(stem.with_extension("pub.cbor"))
            .arg("--report")
            .arg(report)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(verify(&out.join("report.json")), Some(0));
    let mut bytes = std::fs::read(out.join("report.json")).unwrap();
    let at = bytes.iter().position(|b| *b == b'p').unwrap();
    bytes[at] = b'f';
    let edited = dir.join("edited.json");
    std::fs::write(&edited, bytes).unwrap();
    assert_eq!(verify(&edited), Some(1));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_waived_failure_keeps_its_requirement_from_pass_and_replays_keep_the_sut() {
    let selection = Selection { replay: Some("registry::counter_regression".into()), ..Selection::default() };
    let waivers = Waivers::parse("registry::counter_regression: known bug 7\n").unwrap();
    let sut = Sut::Shim { command: "/opt/vendor/adapter --fast".into(), mutation: None };
    let config = RunConfig { sut: Sut::Mutant(Mutation::IgnoreCounter), waivers, ..RunConfig::default() };
    let runs = runner::run(&selection.apply(checks::all()), &config, &mut |_, _, _| {});
    assert!(runs.iter().any(|r| r.check.id == "registry::counter_regression" && r.outcome.name() == "waived"));
    let verdicts = jpki_conformance::verdict::requirement_verdicts(&runs);
    assert_eq!(verdicts["USE-006"], "waived", "a waived failure ranks above pass");
    let profile = SutProfile::default();
    let capabilities = Capabilities::default();
    let summary = RunSummary {
        sut,
        capabilities: &capabilities,
        seed: [5; 32],
        runs: &runs,
        profile: &profile,
        partial: true,
        timing: Default::default(),
    };
    let certification = summary.certification();
    assert!(!certification.certified && certification.reasons.iter().any(|r| r.contains("partial")));
    let unwaived = RunConfig { sut: Sut::Mutant(Mutation::IgnoreCounter), ..RunConfig::default() };
    let failed = runner::run(&selection.apply(checks::all()), &unwaived, &mut |_, _, _| {});
    let xml = report::junit::report(&RunSummary {
        sut: summary.sut.clone(),
        capabilities: &capabilities,
        seed: summary.seed,
        runs: &failed,
        profile: &profile,
        partial: true,
        timing: Default::default(),
    });
    assert!(xml.contains("--sut &apos;shim:/opt/vendor/adapter --fast&apos;"), "{xml}");
    assert!(xml.contains("failed requirement: USE-006"), "{xml}");
    assert_eq!(
        summary.replay_command("registry::x"),
        format!(
            "jpki-conformance run --sut 'shim:/opt/vendor/adapter --fast' --seed {} --replay registry::x",
            hex::encode([5; 32])
        )
    );
}

#[test]
fn one_spec_version_stated_once_and_carried_by_reports_and_vectors() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("spec/README.md")).unwrap();
    let stated = format!("**Spec version {}.**", report::SPEC_VERSION);
    assert_eq!(readme.matches("**Spec version ").count(), 1, "stated once");
    assert!(readme.contains(&stated), "spec/README.md does not state {stated}");
    // no chapter carries a version of its own
    for entry in std::fs::read_dir(root.join("spec")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.lines().any(|l| l.starts_with("Version ")), "{} states its own version", path.display());
        }
    }
    // every vector file, table and trace carries it
    let vectors = root.join("vectors");
    let mut files: Vec<std::path::PathBuf> = checks::VECTOR_FILES.iter().map(|f| vectors.join(f)).collect();
    files.extend(["codec/strict-decoder.json", "codec/status-list.json"].map(|f| vectors.join(f)));
    for entry in std::fs::read_dir(vectors.join("traces")).unwrap() {
        files.push(entry.unwrap().path());
    }
    for path in files {
        let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(value["specVersion"], report::SPEC_VERSION, "{}", path.display());
    }
}
