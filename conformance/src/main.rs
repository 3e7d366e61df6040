//! `jpki-conformance`: the suite's command line.
//!
//! Exit codes: 0 every check passed (or was skipped on request), 1 a check
//! failed, 2 the command line was wrong or a report could not be written.

use std::path::PathBuf;
use std::process::ExitCode;

use jpki_conformance::selfcheck::{CheckResult, Verdict, checks, run_check};
use jpki_reference::crypto::default_provider;

const USAGE: &str = "usage: jpki-conformance <run [--out DIR] | list>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => {
            let out = match args.get(1..).unwrap_or_default() {
                [] => PathBuf::from("target/jpki-report"),
                [flag, dir] if flag == "--out" => PathBuf::from(dir),
                _ => return usage(),
            };
            run(&out)
        }
        Some("list") if args.len() == 1 => {
            for check in checks() {
                println!("{:<40} {}", check.id, check.requirements.join(" "));
            }
            ExitCode::SUCCESS
        }
        _ => usage(),
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn run(out: &std::path::Path) -> ExitCode {
    let provider = default_provider();
    println!("jpki-conformance {} — SUT: embedded reference (provider {})", env!("CARGO_PKG_VERSION"), provider.name());
    let all = checks();
    let mut results = Vec::new();
    for (i, check) in all.iter().enumerate() {
        let result = run_check(check, provider);
        let tag = match &result.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Skipped(_) => "SKIP",
        };
        println!(
            "[{}/{}] {tag} {:<40} {}  [{}]",
            i + 1,
            all.len(),
            result.id,
            result.summary,
            result.requirements.join(" ")
        );
        for failure in &result.failures {
            println!("        - {failure}");
        }
        results.push(result);
    }
    let count = |f: fn(&Verdict) -> bool| results.iter().filter(|r| f(&r.verdict)).count();
    let (passed, failed, skipped) =
        (count(|v| *v == Verdict::Pass), count(|v| *v == Verdict::Fail), count(|v| matches!(v, Verdict::Skipped(_))));
    if let Err(e) = write_report(out, &results) {
        eprintln!("cannot write the report to {}: {e}", out.display());
        return ExitCode::from(2);
    }
    println!("report: {}", out.join("report.json").display());
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

fn write_report(out: &std::path::Path, results: &[CheckResult]) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let checks: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            let (verdict, reason) = match &r.verdict {
                Verdict::Pass => ("pass", None),
                Verdict::Fail => ("fail", None),
                Verdict::Skipped(why) => ("skipped", Some(why.clone())),
            };
            serde_json::json!({
                "id": r.id,
                "requirements": r.requirements,
                "verdict": verdict,
                "reason": reason,
                "summary": r.summary,
                "failures": r.failures,
            })
        })
        .collect();
    let report = serde_json::json!({
        "suite": "jpki-conformance",
        "suite_version": env!("CARGO_PKG_VERSION"),
        "sut": "embedded reference",
        "checks": checks,
    });
    let text = serde_json::to_string_pretty(&report).map_err(std::io::Error::other)?;
    std::fs::write(out.join("report.json"), text + "\n")
}
