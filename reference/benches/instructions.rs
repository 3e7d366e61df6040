//! Instructions executed by the hot paths, counted by Valgrind's callgrind:
//! a figure that does not wobble with the machine's load, for CI to compare
//! across commits (BENCHMARKS.md).
//!
//! `cargo bench -p jpki-reference --features ring --bench instructions`
//! re-runs this binary under `valgrind --tool=callgrind` once per hot path
//! and provider, counting only inside [`measured`] (the operation itself, its
//! inputs made outside), and prints instructions per call. Against the
//! baseline of its profile (`reference/benches/instructions.PROFILE.baseline`,
//! `release` for a plain `cargo bench`, `dev` for `--profile dev`, which CI
//! uses because it reuses the test build) it prints each change and exits 1
//! when one grew by more than the tolerance; `JPKI_INSTRUCTIONS_WRITE=1`
//! rewrites that baseline instead. The counts are exact and repeat from run
//! to run; they change with the code, the compiler and the dependencies.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark binary

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, ExitCode};

use support::{Case, Input, Op, Provider};

/// The paths a use or an issuance takes every time.
const HOT: &[Op] = &[
    Op::RawVerify,
    Op::RawSign,
    Op::VerifierAuthWarm,
    Op::VerifierSignWarm,
    Op::StatusAnswers,
    Op::WalletAssertsAuth,
    Op::IssuerIssues,
];
/// Calls measured per path (the count printed is per call).
const CALLS: u64 = 8;
/// The growth over the baseline that fails the comparison.
const TOLERANCE: f64 = 0.05;
/// The baseline of this binary's profile.
const BASELINE: &str = if cfg!(debug_assertions) {
    concat!(env!("CARGO_MANIFEST_DIR"), "/benches/instructions.dev.baseline")
} else {
    concat!(env!("CARGO_MANIFEST_DIR"), "/benches/instructions.release.baseline")
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    match args.as_slice() {
        [op, provider, mode] if mode == "measure" => {
            let op = Op::named(op).expect("an operation name");
            let provider = Provider::named(provider).expect("a provider name");
            let mut case = Case::new(op, provider.counted());
            // more calls for a profiler (`perf record … OP PROVIDER measure`)
            let calls = std::env::var("JPKI_CALLS").ok().and_then(|n| n.parse().ok()).unwrap_or(CALLS);
            for _ in 0..calls {
                let input = case.input();
                measured(&mut case, input);
            }
            ExitCode::SUCCESS
        }
        _ => drive(),
    }
}

/// The only function callgrind counts in.
#[inline(never)]
fn measured(case: &mut Case, input: Input) {
    case.run(std::hint::black_box(input));
}

fn drive() -> ExitCode {
    let exe = std::env::current_exe().unwrap();
    let out = std::env::temp_dir().join(format!("jpki-callgrind-{}", std::process::id()));
    let mut counts = BTreeMap::new();
    println!("{:<22} {:<6} {:>14}", "operation", "provider", "instructions");
    for op in HOT {
        for provider in Provider::ALL {
            let status = Command::new("valgrind")
                .args(["--tool=callgrind", "--toggle-collect=*measured*", "--quiet"])
                .arg(format!("--callgrind-out-file={}", out.display()))
                .arg(&exe)
                .args([&op.name(), &provider.to_string(), "measure"])
                .status();
            let status = match status {
                Ok(status) => status,
                Err(e) => {
                    eprintln!("cannot start valgrind ({e}): install Debian's `valgrind` package");
                    return ExitCode::from(2);
                }
            };
            assert!(status.success(), "{} on {provider} under callgrind: {status}", op.name());
            let total = read_total(&out);
            let per_call = total / CALLS;
            println!("{:<22} {:<6} {:>14}", op.name(), provider.to_string(), per_call);
            counts.insert(format!("{} {provider}", op.name()), per_call);
        }
    }
    std::fs::remove_file(&out).ok();
    compare(&counts)
}

/// The `totals:` (or `summary:`) line of a callgrind output file.
fn read_total(file: &Path) -> u64 {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("totals:").or_else(|| line.strip_prefix("summary:")))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no totals line in {}", file.display()))
}

fn compare(counts: &BTreeMap<String, u64>) -> ExitCode {
    let render =
        |counts: &BTreeMap<String, u64>| -> String { counts.iter().map(|(name, n)| format!("{name} {n}\n")).collect() };
    if std::env::var_os("JPKI_INSTRUCTIONS_WRITE").is_some() {
        std::fs::write(BASELINE, render(counts)).unwrap();
        println!("baseline written: {BASELINE}");
        return ExitCode::SUCCESS;
    }
    let Ok(text) = std::fs::read_to_string(BASELINE) else {
        println!("no baseline at {BASELINE} (JPKI_INSTRUCTIONS_WRITE=1 writes one)");
        return ExitCode::SUCCESS;
    };
    let mut grown = Vec::new();
    println!("\nagainst the baseline (fails above +{:.0} %):", TOLERANCE * 100.0);
    for line in text.lines() {
        let Some((name, before)) = line.rsplit_once(' ') else { continue };
        let (Ok(before), Some(now)) = (before.parse::<u64>(), counts.get(name)) else { continue };
        let change = *now as f64 / before.max(1) as f64 - 1.0;
        println!("{name:<30} {before:>14} → {now:>14}  {:+.2} %", change * 100.0);
        if change > TOLERANCE {
            grown.push(name.to_owned());
        }
    }
    if grown.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("grew beyond the tolerance: {}", grown.join(", "));
        ExitCode::from(1)
    }
}
