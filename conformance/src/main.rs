//! `jpki-conformance`: the suite's command line.
//!
//! Exit codes (stable; `jpki_conformance::verdict` defines them):
//! - `0`: nothing failed and the SUT is certified, or nothing failed and the
//!   only obstacles were waivers, a partial selection, or (with
//!   `--allow-unimplemented`) unimplemented checks; the report says which;
//! - `1`: at least one check failed (or a self-test), or a mutant survived (`mutants`);
//! - `2`: bad arguments, an unreadable input file, or a report that could not be written;
//! - `3`: nothing failed, but the SUT is not certified: it answered
//!   `unimplemented` to a check whose feature its capability statement does
//!   not declare absent, or no check of it passed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jpki_conformance::checks::context::Sut;
use jpki_conformance::checks::{self, Role, Target};
use jpki_conformance::report::{self, RunSummary};
use jpki_conformance::runner::{self, Capabilities, CheckRun, Outcome, RunConfig, Selection, Waivers};
use jpki_reference::mutants::Mutation;

#[derive(Parser)]
#[command(name = "jpki-conformance", version, about = "Conformance suite for mobile JPKI wallets and servers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the suite (default SUT: the embedded reference).
    Run(Box<RunArgs>),
    /// List the checks with their role, kind, requirements and features.
    List,
    /// Make a report-signing key: `KEY.hex` (secret) and `KEY.pub.cbor` (COSE_Key).
    Keygen {
        /// The file stem to write (`KEY.hex`, `KEY.pub.cbor`).
        out: PathBuf,
    },
    /// Check a signed report: the signature, and that the report file is what was signed.
    VerifyReport {
        /// The signed report (`report.json.cose`).
        signed: PathBuf,
        /// The signer's public key (COSE_Key file).
        #[arg(long)]
        key: PathBuf,
        /// The report file to compare with the signed payload.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Derive the conformance matrix (spec/matrix.json × spec/messages.cddl
    /// × vectors/), show each covered cell failing on a mutant, print the
    /// counts; fails when a cell has neither a cover nor a listed reason or gap.
    Matrix {
        /// Rewrite spec/matrix.md from the result.
        #[arg(long)]
        write: bool,
    },
    /// List every numbered requirement with the checks and vectors that
    /// enforce it (from the registry's declarations, not source text); fails
    /// when a requirement is enforced by no check, not the suite's own
    /// (covered by a self-test) and not marked untestable.
    Coverage {
        /// Print every requirement, not only the counts and the gaps.
        #[arg(long)]
        verbose: bool,
    },
    /// Render spec/ to one self-contained HTML page: every chapter, each
    /// requirement anchored by id with what enforces it, the diagrams inline,
    /// the CDDL.
    RenderSpec {
        /// The page to write.
        #[arg(long, default_value = "target/spec.html")]
        out: PathBuf,
    },
    /// Draw the state diagrams from the transition table (reference/src/machines.rs)
    /// into `spec/diagrams/` (SVG and Graphviz DOT); `--check` writes nothing and
    /// fails when the committed files differ.
    Diagrams {
        /// Compare with the committed files instead of writing them.
        #[arg(long)]
        check: bool,
    },
    /// Rebuild the fixed vector files from their seed (byte-identical each time).
    Vectors {
        /// The folder to write (default: the project's `vectors/`).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replay a trace vector (`jpki-trace/1`) on the model and the SUT, step by step.
    ReplayTrace {
        /// The trace file (`*.trace.json`).
        file: PathBuf,
        /// The system under test: `reference`, `mutant:NAME`, or `shim:COMMAND`.
        #[arg(long, default_value = "reference")]
        sut: String,
        /// Rewrite the file's `modelAnswers` with what the model answers now
        /// (after a spec author changes a transition, or for a hand-written trace).
        #[arg(long)]
        record: bool,
        /// The SUT's capability statement (its platform attestation roots), as for `run`.
        #[arg(long)]
        capabilities: Option<PathBuf>,
    },
    /// Explore the protocol's state machines exhaustively up to a bound and
    /// report states explored and any invariant violated (shortest trace).
    ModelCheck {
        /// The longest action sequence explored.
        #[arg(long, default_value_t = 5)]
        depth: usize,
        /// At most this many messages in flight at once (interleavings).
        #[arg(long, default_value_t = 2)]
        in_flight: usize,
        /// At most this many clock steps.
        #[arg(long, default_value_t = 1)]
        clock_steps: usize,
        /// How many devices the holder has (1 to 3).
        #[arg(long, default_value_t = 2)]
        devices: usize,
        /// How many messages the attacker keeps for replay (0: no replays).
        #[arg(long, default_value_t = 4)]
        memory: usize,
        /// Explore a built-in mutant instead of the reference.
        #[arg(long)]
        mutant: Option<String>,
    },
    /// Write the fuzz targets' seed corpora (made from the vector files) under `fuzz/corpus/<target>/`.
    FuzzCorpus {
        /// The folder to write (default: the project's `fuzz/corpus`).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Serve the reference Issuer, Status and verifiers over the HTTP
    /// binding (spec/http.md), on SQLite in a data folder it creates.
    Serve(ServeArgs),
    /// Measure the reference server's per-step time with many holders in its
    /// SQLite store (synthetic rows, the real schema); see BENCHMARKS.md.
    BenchStore {
        /// The store sizes, in holders (comma-separated).
        #[arg(long, default_value = "10000,1000000", value_delimiter = ',')]
        holders: Vec<u64>,
        /// Served lives measured at each size.
        #[arg(long, default_value_t = 30)]
        lives: usize,
        /// Where the stores are made (removed afterwards).
        #[arg(long, default_value = "target/bench-store")]
        folder: PathBuf,
    },
    /// Measure Status at national size: the per-query answer time and a
    /// list chunk's, load time and size on disk, with many synthetic Status
    /// entries in SQLite or PostgreSQL (checks the disk space first); see
    /// BENCHMARKS.md. Never run in CI.
    BenchStatus {
        /// The sizes, in Status entries (comma-separated).
        #[arg(long, default_value = "10000,1000000,10000000", value_delimiter = ',')]
        rows: Vec<u64>,
        /// Queries and list chunks timed at each size.
        #[arg(long, default_value_t = 500)]
        samples: usize,
        /// A PostgreSQL database to fill instead of an SQLite store (its Status table is emptied).
        #[arg(long)]
        store: Option<String>,
        /// Where the SQLite stores are made (removed afterwards).
        #[arg(long, default_value = "target/bench-status")]
        folder: PathBuf,
    },
    /// Measure Status's status lists at national size: size at 0.1, 1 and
    /// 5 % revoked, time to build and sign, to publish one change, and a
    /// reader's lookup; see BENCHMARKS.md.
    BenchStatusList {
        /// Certificates in the list.
        #[arg(long, default_value_t = 125_000_000)]
        entries: u64,
        /// Changes and lookups timed at each share.
        #[arg(long, default_value_t = 300)]
        samples: usize,
    },
    /// Measure the delivery worker: notifications per second from a full
    /// outbox to an SMTP server on loopback and to a maildir folder.
    BenchMail {
        /// How many notifications.
        #[arg(long, default_value_t = 2000)]
        events: usize,
        /// A scratch folder (emptied).
        #[arg(long, default_value = "target/bench-mail")]
        folder: PathBuf,
    },
    /// Drive many holders' whole lives at once against servers in test mode
    /// (one, or several instances on one store): per-endpoint p50/p99,
    /// throughput, refusals by code; then the invariants over what the
    /// servers report. Exit 1 on a violation or a life cut short.
    Load {
        /// A server's base URL (test mode); repeat for several instances on one store.
        #[arg(long, required = true)]
        sut: Vec<String>,
        /// Holders, each living one whole life.
        #[arg(long, default_value_t = 100)]
        holders: usize,
        /// Lives run at once (spread over the servers).
        #[arg(long, default_value_t = 4)]
        workers: usize,
        /// The test PKI's seed (64 hex digits).
        #[arg(long)]
        seed: Option<String>,
        /// Have the servers run this built-in (scenario) mutant.
        #[arg(long)]
        mutant: Option<String>,
    },
    /// Walk the audit log of a `serve` data folder: exit 0 when the chain
    /// holds, 1 with the first broken row (edited, missing) otherwise.
    VerifyAudit {
        /// The data folder.
        #[arg(long, default_value = "jpki-data")]
        data: PathBuf,
        /// The PostgreSQL database instead (`postgres://…`).
        #[arg(long, value_name = "URL")]
        store: Option<String>,
    },
    /// Walk one wallet through its whole life against live servers (`serve
    /// --test-mode --smtp ADDR`, or yours): issue, use, migrate, wipe,
    /// revoke; then read the e-mails back from an SMTP server run here.
    Walkthrough {
        /// The servers' base URL (in test mode: the walkthrough resets them).
        #[arg(long, default_value = "http://127.0.0.1:8439")]
        server: String,
        /// Where the walkthrough's SMTP server listens (give it to `serve --smtp`).
        #[arg(long, default_value = "127.0.0.1:2525")]
        mail_listen: String,
        /// Your wallet's adapter command (conformance/SHIM.md); the reference wallet when absent.
        #[arg(long)]
        wallet: Option<String>,
        /// A platform attestation root (DER file) your wallet attests under; repeatable.
        #[arg(long)]
        platform_root: Vec<PathBuf>,
        /// The test PKI's seed (64 hex digits).
        #[arg(long)]
        seed: Option<String>,
        /// Seconds to wait for the e-mails after the last step.
        #[arg(long, default_value_t = 30)]
        mail_wait: u64,
    },
    /// Run the suite against every built-in mutant and print the mutation score.
    Mutants {
        /// The run seed (64 hex digits).
        #[arg(long)]
        seed: Option<String>,
        /// Run the mutants through this template-shim command instead of in-process.
        #[arg(long)]
        shim: Option<String>,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Where to listen (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8439")]
    listen: std::net::SocketAddr,
    /// The data folder (created if absent): the SQLite store and its seed.
    #[arg(long, default_value = "jpki-data")]
    data: PathBuf,
    /// Keep the store in memory instead (nothing survives the process).
    #[arg(long)]
    in_memory: bool,
    /// Keep the records in this PostgreSQL database instead of the data
    /// folder's SQLite file (`postgres://user@host:port/db`; several
    /// instances may share one). The data folder still holds the maildir
    /// (none with `--in-memory`).
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// Offer the test controls (spec/http.md §5; loopback only) and draw
    /// randomness from the seed, as the suite's reference does.
    #[arg(long)]
    test_mode: bool,
    /// The roles to host (comma-separated: issuer, status, verifier).
    #[arg(long, default_value = "issuer,status,verifier", value_delimiter = ',')]
    roles: Vec<String>,
    /// Run a built-in (scenario) mutant instead of the reference.
    #[arg(long)]
    mutant: Option<String>,
    /// Send notifications by plain SMTP to this relay (host:port) instead
    /// of the default maildir folder (`DATA/mail`; none in memory).
    #[arg(long)]
    smtp: Option<String>,
    /// Write notifications as files into this maildir-style folder.
    #[arg(long, conflicts_with = "smtp")]
    maildir: Option<PathBuf>,
    /// The `From` of the notification e-mails.
    #[arg(long, default_value = "JPKI mobile <notify@localhost>")]
    mail_from: String,
    /// Where notifications go whose holder has no address on record.
    #[arg(long, default_value = "postmaster@localhost")]
    operator_mail: String,
    /// Stop at this failpoint and wait to be killed (test mode; the crash
    /// tests, server/src/failpoint.rs).
    #[arg(long, hide = true)]
    failpoint: Option<String>,
    /// Chaos for a wallet under test: this percentage of issuance requests
    /// is refused with `retry_later` though valid, answered late, or
    /// committed and its answer dropped (ISS-016).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
    chaos: Option<u8>,
    /// A platform attestation root (DER file) the Issuer trusts beside the
    /// test PKI's: your wallet's; repeatable.
    #[arg(long)]
    platform_root: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The system under test: `reference`, `mutant:NAME`, `shim:COMMAND` (an adapter
    /// process), or `http://HOST:PORT` (a server in test mode, spec/http.md).
    #[arg(long, default_value = "reference")]
    sut: String,
    /// Only checks targeting this role (device, issuer, status, verifier).
    #[arg(long)]
    role: Option<String>,
    /// Only checks whose id or requirement id matches (glob `*`); repeatable.
    #[arg(long)]
    only: Vec<String>,
    /// Skip checks whose id or requirement id matches; repeatable.
    #[arg(long)]
    skip: Vec<String>,
    /// The run seed (64 hex digits); each check's seed derives from it.
    #[arg(long)]
    seed: Option<String>,
    /// Rerun exactly this check (with the run's `--seed`).
    #[arg(long)]
    replay: Option<String>,
    /// Where the reports go.
    #[arg(long, default_value = "target/jpki-report")]
    out: PathBuf,
    /// The SUT's capability statement (JSON).
    #[arg(long)]
    capabilities: Option<PathBuf>,
    /// The waiver file (`pattern: reason` per line).
    #[arg(long)]
    waivers: Option<PathBuf>,
    /// Sign the JSON report with this key file (64 hex digits; see `keygen`).
    #[arg(long)]
    sign_with: Option<PathBuf>,
    /// Exit 0 even when checks are unimplemented (the report still says "not certified").
    #[arg(long)]
    allow_unimplemented: bool,
    /// How many checks run at once (default: one per core). The report does
    /// not depend on it, timing fields aside.
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// The crypto provider the suite verifies and signs with: `p256`, or
    /// `ring` (the default when built with the `ring` feature: it verifies
    /// several times faster and signs the same bytes). Verdicts do not depend on it.
    #[arg(long)]
    provider: Option<String>,
}

/// Installs the named crypto provider as the process default before any
/// world is built (without a name, the default stays the fastest built in).
fn install_provider(name: Option<&str>) -> Result<(), String> {
    let Some(name) = name else { return Ok(()) };
    let known: Vec<&str> = jpki_reference::crypto::providers().iter().map(|p| p.name()).collect();
    let provider = jpki_reference::crypto::provider_named(name)
        .ok_or(format!("unknown crypto provider {name:?} (this build has {})", known.join(", ")))?;
    jpki_reference::crypto::install_default_provider(provider)
        .map_err(|other| format!("the crypto provider is already {}", other.name()))
}

/// The default run seed: fixed, so two runs of the same suite agree.
const DEFAULT_SEED: [u8; 32] = [0x4a; 32];

fn parse_seed(text: Option<&str>) -> Result<[u8; 32], String> {
    match text {
        None => Ok(DEFAULT_SEED),
        Some(hex_text) => hex::decode(hex_text)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| "--seed takes 64 hex digits".to_owned()),
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(*args),
        Command::List => {
            println!("{:<52} {:<8} {:<10} {:<40} features", "check", "judges", "kind", "requirements");
            for check in checks::all() {
                let features: Vec<&str> = check.features.iter().map(|f| f.name()).collect();
                println!(
                    "{:<52} {:<8} {:<10} {:<40} {}",
                    check.id,
                    check.target.name(),
                    check.kind.name(),
                    check.requirements.join(" "),
                    features.join(",")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Mutants { seed, shim } => mutants(seed.as_deref(), shim.as_deref()),
        Command::Serve(args) => serve(args),
        Command::VerifyAudit { data, store } => verify_audit(&data, store.as_deref()),
        Command::BenchMail { events, folder } => bench_mail(events, &folder),
        Command::BenchStatusList { entries, samples } => bench_status_list(entries, samples),
        Command::BenchStatus { rows, samples, store, folder } => bench_status(&rows, samples, store, folder),
        Command::Load { sut, holders, workers, seed, mutant } => {
            parse_seed(seed.as_deref()).and_then(|seed| load(LoadConfig { suts: sut, holders, workers, seed, mutant }))
        }
        Command::Walkthrough { server, mail_listen, wallet, platform_root, seed, mail_wait } => {
            walkthrough(server, &mail_listen, wallet, &platform_root, seed.as_deref(), mail_wait)
        }
        Command::BenchStore { holders, lives, folder } => bench_store(&holders, lives, &folder),
        Command::Keygen { out } => keygen(&out),
        Command::FuzzCorpus { out } => fuzz_corpus(out),
        Command::ModelCheck { depth, in_flight, clock_steps, devices, memory, mutant } => {
            let bounds = jpki_conformance::model_check::Bounds { depth, in_flight, clock_steps, devices, memory };
            model_check(bounds, mutant.as_deref())
        }
        Command::ReplayTrace { file, sut, record, capabilities } => {
            replay_trace(&file, &sut, record, capabilities.as_deref())
        }
        Command::Matrix { write } => matrix(write),
        Command::Vectors { out } => generate_vectors(out),
        Command::Diagrams { check } => diagrams(check),
        Command::Coverage { verbose } => coverage(verbose),
        Command::RenderSpec { out } => render_spec(&out),
        Command::VerifyReport { signed, key, report } => verify_report(&signed, &key, report.as_deref()),
    };
    result.unwrap_or_else(|message| {
        eprintln!("jpki-conformance: {message}");
        ExitCode::from(jpki_conformance::verdict::EXIT_USAGE)
    })
}

fn run(args: RunArgs) -> Result<ExitCode, String> {
    install_provider(args.provider.as_deref())?;
    let sut = Sut::parse(&args.sut)
        .ok_or(format!("unknown SUT {:?} (reference, mutant:NAME, shim:COMMAND or http://HOST:PORT)", args.sut))?;
    let role = args.role.as_deref().map(|r| Role::parse(r).ok_or(format!("unknown role {r:?}"))).transpose()?;
    let capabilities =
        args.capabilities.as_deref().map(read).transpose()?.map(|t| Capabilities::parse(&t)).transpose()?;
    let waivers = args.waivers.as_deref().map(read).transpose()?.map(|t| Waivers::parse(&t)).transpose()?;
    let seed = parse_seed(args.seed.as_deref())?;
    let profile = jpki_conformance::runner::SutProfile::ask(&sut, &seed)?;
    let config = RunConfig {
        sut: sut.clone(),
        profile: profile.clone(),
        seed,
        capabilities: capabilities.unwrap_or_default(),
        waivers: waivers.unwrap_or_default(),
        trace_out: Some(args.out.join("traces")),
        jobs: args.jobs,
    };
    let selection = Selection { only: args.only, skip: args.skip, role, replay: args.replay.clone() };
    let all = checks::all();
    let total = all.len();
    let selected = selection.apply(all);
    if selected.is_empty() {
        return Err(match args.replay {
            Some(id) => format!("no check has the id {id:?} (see `jpki-conformance list`)"),
            None => "the selection matches no check".into(),
        });
    }
    let roles: Vec<&str> = profile.roles.iter().map(|r| r.name()).collect();
    let threads = config.threads(selected.len());
    println!(
        "jpki-conformance {} (spec {}) · SUT {} ({}; plays {}) · seed {} · {} · {threads} thread(s)",
        report::SUITE_VERSION,
        report::SPEC_VERSION,
        sut.name(),
        profile.identity,
        if roles.is_empty() { "no role".to_owned() } else { roles.join(", ") },
        hex::encode(config.seed),
        jpki_reference::crypto::default_provider().name(),
    );
    let started = std::time::Instant::now();
    let runs = run_with_progress(&selected, &config);
    let timing = report::Timing { threads, wall: started.elapsed() };
    let summary = RunSummary {
        timing,
        sut,
        capabilities: &config.capabilities,
        seed: config.seed,
        runs: &runs,
        profile: &profile,
        partial: selected.len() < total,
    };
    print_summary(&summary);
    print_timing(&runs, timing);
    print_transitions(&runs, &config.sut);
    write_reports(&args.out, &summary, args.sign_with.as_deref())?;
    let certification = jpki_conformance::verdict::Certification::of(
        &runs,
        &profile,
        &config.capabilities.absent,
        summary.partial,
        args.allow_unimplemented,
    );
    println!("{}", certification.headline());
    Ok(ExitCode::from(certification.exit))
}

fn run_with_progress(selected: &[checks::Check], config: &RunConfig) -> Vec<CheckRun> {
    if std::io::stdout().is_terminal() {
        let bar = indicatif::ProgressBar::new(selected.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let runs = runner::run(selected, config, &mut |_, _, result| {
            bar.set_message(result.check.id.clone());
            bar.inc(1);
            if matches!(result.outcome, Outcome::Fail { .. }) {
                bar.println(describe(result));
            }
        });
        bar.finish_and_clear();
        runs
    } else {
        runner::run(selected, config, &mut |i, n, result| {
            println!("[{i}/{n}] {}", describe(result));
        })
    }
}

fn describe(run: &CheckRun) -> String {
    let detail = match &run.outcome {
        Outcome::Pass => String::new(),
        Outcome::Fail { requirement, expected, actual } => format!(
            "\n        failed:   {}\n        expected: {expected}\n        actual:   {actual}",
            requirement.as_deref().unwrap_or("set-up (no requirement)")
        ),
        Outcome::Skipped(reason) | Outcome::Unimplemented(reason) => format!(" ({reason})"),
        Outcome::Waived { reason, underlying } => format!(" ({}; {reason})", underlying.name()),
    };
    format!(
        "{:<13} {:<52} [{}]{detail}",
        run.outcome.name().to_uppercase(),
        run.check.id,
        run.check.requirements.join(" ")
    )
}

fn print_summary(summary: &RunSummary<'_>) {
    println!("\nrole      pass  fail  skipped  unimplemented  waived");
    for target in Target::ALL {
        let c = runner::tally(summary.runs.iter().filter(|r| r.check.target == target));
        println!(
            "{:<9} {:>4}  {:>4}  {:>7}  {:>13}  {:>6}",
            target.name(),
            c.pass,
            c.fail,
            c.skipped,
            c.unimplemented,
            c.waived
        );
    }
    println!("(suite: the suite's self-tests; they never count toward the SUT's verdict)");
    for run in summary.runs.iter().filter(|r| matches!(r.outcome, Outcome::Fail { .. })) {
        println!("replay: {}", summary.replay_command(&run.check.id));
    }
    println!("{}", runner::tally(summary.runs).line());
}

/// The run's own time: per check kind (summed over threads), the slowest
/// checks, and the wall time.
fn print_timing(runs: &[CheckRun], timing: report::Timing) {
    let mut by_kind: std::collections::BTreeMap<&str, (usize, std::time::Duration)> = Default::default();
    for run in runs {
        let slot = by_kind.entry(run.check.kind.name()).or_default();
        slot.0 += 1;
        slot.1 += run.elapsed;
    }
    println!("\ntime      checks  seconds (summed over threads)");
    for (kind, (count, spent)) in &by_kind {
        println!("{kind:<10} {count:>5}  {:>7.2}", spent.as_secs_f64());
    }
    let mut slowest: Vec<&CheckRun> = runs.iter().collect();
    slowest.sort_by_key(|r| std::cmp::Reverse(r.elapsed));
    let named: Vec<String> =
        slowest.iter().take(5).map(|r| format!("{} {:.2} s", r.check.id, r.elapsed.as_secs_f64())).collect();
    println!("slowest: {}", named.join(", "));
    println!("wall: {:.2} s on {} thread(s)", timing.wall.as_secs_f64(), timing.threads);
}

/// How often the property run fired each observable transition of the
/// state machines (spec/state-machines.md), and which it never reached.
fn print_transitions(runs: &[CheckRun], sut: &Sut) {
    use jpki_conformance::checks::transitions;
    let Some(run) = runs.iter().find(|r| r.check.id == "property::lifecycle-model") else { return };
    let Some(tally) = transitions::fired_in(&sut.name(), &run.seed) else { return };
    println!("\ntransitions fired by the property run ({} cases):", jpki_conformance::checks::property::cases());
    for name in transitions::all().chain(transitions::unlisted(&tally)) {
        println!("{:>7}  {name}", tally.get(name).copied().unwrap_or(0));
    }
    let never = transitions::never_fired(&tally);
    if !never.is_empty() {
        println!("never fired: {}", never.join("; "));
    }
}

fn write_reports(out: &Path, summary: &RunSummary<'_>, sign_with: Option<&Path>) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write reports to {}: {e}", out.display());
    std::fs::create_dir_all(out).map_err(fail)?;
    let json = serde_json::to_string_pretty(&report::json::report(summary)).map_err(|e| e.to_string())? + "\n";
    std::fs::write(out.join("report.json"), &json).map_err(fail)?;
    std::fs::write(out.join("junit.xml"), report::junit::report(summary)).map_err(fail)?;
    let digest = jpki_conformance::vector_digest::project_digest();
    std::fs::write(out.join("report.html"), report::html::report(summary, &digest)).map_err(fail)?;
    println!("reports: {}/{{report.json, junit.xml, report.html}}", out.display());
    if let Some(key_file) = sign_with {
        let provider = jpki_reference::crypto::default_provider();
        let key = report::signing::secret_from_hex(provider, &read(key_file)?).map_err(|e| e.to_string())?;
        let signed = report::signing::sign_report(provider, &key, json.as_bytes()).map_err(|e| e.to_string())?;
        std::fs::write(out.join("report.json.cose"), signed).map_err(fail)?;
        println!("signed: {}", out.join("report.json.cose").display());
    }
    Ok(())
}

fn keygen(stem: &Path) -> Result<ExitCode, String> {
    let provider = jpki_reference::crypto::default_provider();
    // Key material from the OS: the one place the suite reads randomness itself.
    let mut seed = [0u8; 32];
    let mut urandom = std::fs::File::open("/dev/urandom").map_err(|e| format!("no randomness: {e}"))?;
    std::io::Read::read_exact(&mut urandom, &mut seed).map_err(|e| format!("no randomness: {e}"))?;
    let key = report::signing::generate(provider, seed).map_err(|e| e.to_string())?;
    let secret_file = stem.with_extension("hex");
    let public_file = stem.with_extension("pub.cbor");
    std::fs::write(&secret_file, report::signing::secret_to_hex(&key) + "\n").map_err(|e| e.to_string())?;
    std::fs::write(&public_file, report::signing::public_to_cose(&key.public).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    println!("secret key: {} (keep it private)\npublic key: {}", secret_file.display(), public_file.display());
    Ok(ExitCode::SUCCESS)
}

fn verify_report(signed: &Path, key: &Path, report_file: Option<&Path>) -> Result<ExitCode, String> {
    let provider = jpki_reference::crypto::default_provider();
    let read_bytes = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let report_bytes = report_file.map(read_bytes).transpose()?;
    match report::signing::verify_report(provider, &read_bytes(signed)?, &read_bytes(key)?, report_bytes.as_deref()) {
        Ok(_) => {
            println!("valid: the report was signed by this key and not edited since");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("INVALID: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn mutants(seed: Option<&str>, shim: Option<&str>) -> Result<ExitCode, String> {
    let seed = parse_seed(seed)?;
    let all = checks::all();
    let mut caught = 0;
    for mutation in Mutation::ALL {
        let sut = match shim {
            Some(command) => Sut::Shim { command: command.to_owned(), mutation: Some(mutation) },
            None => Sut::Mutant(mutation),
        };
        let config = RunConfig { sut, seed, ..RunConfig::default() };
        let runs = runner::run(&all, &config, &mut |_, _, _| {});
        let catchers = runner::catchers(&runs, mutation);
        let verdict = if catchers.is_empty() { "SURVIVED" } else { "caught" };
        caught += usize::from(!catchers.is_empty());
        println!("{verdict:<9} {:<32} {}  by {}", mutation.name(), mutation.requirement(), catchers.join(", "));
    }
    println!("mutation score: {caught}/{} mutants caught", Mutation::ALL.len());
    Ok(if caught == Mutation::ALL.len() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn model_check(bounds: jpki_conformance::model_check::Bounds, mutant: Option<&str>) -> Result<ExitCode, String> {
    let mutation = mutant.map(|m| Mutation::from_name(m).ok_or(format!("unknown mutant {m:?}"))).transpose()?;
    println!(
        "model check · {} · {} devices · depth {} · {} in flight · {} clock step(s) · attacker memory {} · symbolic crypto",
        mutation.map_or("reference".to_owned(), |m| format!("mutant:{}", m.name())),
        bounds.devices,
        bounds.depth,
        bounds.in_flight,
        bounds.clock_steps,
        bounds.memory
    );
    let started = std::time::Instant::now();
    let found = jpki_conformance::model_check::explore(mutation, &bounds, &mut |depth, states| {
        println!("  depth {depth}: {states} states ({:.1} s)", started.elapsed().as_secs_f64());
    })?;
    println!(
        "{} states, {} transitions ({} refused by the protocol), depth {}, {:.1} s",
        found.states,
        found.transitions,
        found.refusals,
        found.depth,
        started.elapsed().as_secs_f64()
    );
    match found.counterexample {
        None => {
            println!("no invariant violated");
            Ok(ExitCode::SUCCESS)
        }
        Some(c) => {
            println!("VIOLATION: {}", c.violation);
            for (step, action) in c.trace.iter().enumerate() {
                println!("  {step:>2}  {action:?}");
            }
            Ok(ExitCode::from(1))
        }
    }
}

fn coverage(verbose: bool) -> Result<ExitCode, String> {
    use jpki_conformance::coverage::{self, Standing};
    let (covered, gaps) = coverage::of_the_suite()?;
    if verbose {
        for c in &covered {
            let vectors: Vec<String> = c.vectors.iter().map(|(file, n)| format!("{file} ×{n}")).collect();
            println!(
                "{:<9} {:<12} checks: {}{}{}",
                c.requirement.id,
                c.standing.name(),
                if c.checks.is_empty() { "-".to_owned() } else { c.checks.join(", ") },
                if c.self_tests.is_empty() {
                    String::new()
                } else {
                    format!(" · self-tests: {}", c.self_tests.join(", "))
                },
                if vectors.is_empty() { String::new() } else { format!(" · vectors: {}", vectors.join(", ")) },
            );
            if !c.unit_tests.is_empty() {
                println!("{:<22} tests: {}", "", c.unit_tests.join(", "));
            }
        }
        println!();
    }
    let count = |s: Standing| covered.iter().filter(|c| c.standing == s).count();
    println!(
        "{} requirements: {} checked by SUT-driving checks, {} self-tested (roles the suite plays), {} untestable, {} uncovered",
        covered.len(),
        count(Standing::Checked),
        count(Standing::SelfTested),
        count(Standing::Untestable),
        count(Standing::Uncovered)
    );
    let with_vectors = covered.iter().filter(|c| !c.vectors.is_empty()).count();
    println!("{with_vectors} of them also enforced by fixed vectors");
    if gaps.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for gap in &gaps {
        println!("gap: {gap}");
    }
    Ok(ExitCode::from(jpki_conformance::verdict::EXIT_FAILED))
}

fn render_spec(out: &Path) -> Result<ExitCode, String> {
    let (covered, gaps) = jpki_conformance::coverage::of_the_suite()?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let page = jpki_conformance::spec_render::render(&covered);
    std::fs::write(out, &page).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("wrote {} ({} KB, {} requirements)", out.display(), page.len() / 1024, covered.len());
    for gap in &gaps {
        println!("gap: {gap}");
    }
    Ok(ExitCode::SUCCESS)
}

fn diagrams(check: bool) -> Result<ExitCode, String> {
    let spec = jpki_conformance::external::project_vectors_dir().join("../spec");
    let spec = std::fs::canonicalize(&spec).unwrap_or(spec);
    if check {
        let stale = jpki_conformance::diagrams::stale(&spec);
        if stale.is_empty() {
            println!("spec/diagrams/ matches reference/src/machines.rs");
            return Ok(ExitCode::SUCCESS);
        }
        println!("spec/diagrams/ differs from reference/src/machines.rs: {}", stale.join(", "));
        println!("run `jpki-conformance diagrams` (and remove what no machine draws), then commit");
        return Ok(ExitCode::from(jpki_conformance::verdict::EXIT_FAILED));
    }
    for (name, text) in jpki_conformance::diagrams::files() {
        let path = spec.join(&name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn fuzz_corpus(out: Option<PathBuf>) -> Result<ExitCode, String> {
    let out = out.unwrap_or_else(|| jpki_conformance::external::project_vectors_dir().join("../fuzz/corpus"));
    let corpus = jpki_conformance::fuzz_corpus::seed_corpus()?;
    for (target, seeds) in &corpus {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        for (name, bytes) in seeds {
            let path = dir.join(name);
            std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        println!("{:<18} {:>4} seeds  {}", target, seeds.len(), dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn replay_trace(path: &Path, sut: &str, record: bool, capabilities: Option<&Path>) -> Result<ExitCode, String> {
    use jpki_conformance::checks::trace::TraceFile;
    let sut = Sut::parse(sut).ok_or(format!("unknown SUT {sut:?} (reference, mutant:NAME, or shim:COMMAND)"))?;
    let text = read(path)?;
    let mut trace: TraceFile = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let seed = trace.seed_bytes()?;
    if record {
        trace = TraceFile::from_run(seed, &trace.ops, &trace.comment);
        std::fs::write(path, trace.to_json()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("recorded the model's answers in {}", path.display());
    }
    println!("trace {} · SUT {} · seed {}", path.display(), sut.name(), trace.seed);
    for (step, (op, answer)) in trace.ops.iter().zip(&trace.model_answers).enumerate() {
        println!("  {step:>3}  {:<60} model: {answer}", format!("{op:?}"));
    }
    let capabilities = capabilities.map(read).transpose()?.map(|t| Capabilities::parse(&t)).transpose()?;
    jpki_conformance::checks::context::trust_platform_roots(capabilities.unwrap_or_default().platform_roots);
    jpki_conformance::checks::context::enter(sut, seed);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| trace.replay()));
    match outcome {
        Ok(Ok(())) => {
            println!("PASS: the SUT answered and changed state as the model at every step");
            Ok(ExitCode::SUCCESS)
        }
        Ok(Err(divergence)) => {
            println!("FAIL: {divergence}");
            Ok(ExitCode::from(1))
        }
        Err(_) => {
            println!("FAIL: the replay stopped (see the message above)");
            Ok(ExitCode::from(1))
        }
    }
}

fn matrix(write: bool) -> Result<ExitCode, String> {
    use jpki_conformance::matrix;
    let data = matrix::read()?;
    let rows = matrix::build(&data)?;
    eprintln!("showing each covered cell failing on a mutant…");
    let evidence = matrix::evidence::gather(&rows);
    let all = matrix::counts(&rows, None);
    println!(
        "{} cells: {} by vectors, {} by checks, {} with a reason, {} known gaps, {} missing",
        all.cells, all.vectors, all.checks, all.reasons, all.gaps, all.missing
    );
    let (unshown, stale) = matrix::unshown_drift(&rows, &evidence);
    for line in &unshown {
        println!("not shown failing, and not listed as unshown: {line}");
    }
    for line in &stale {
        println!("listed as unshown, yet shown failing: {line}");
    }
    for row in &rows {
        for cell in row.cells.iter().filter(|c| c.cover == matrix::Cover::Missing) {
            println!("missing: {} {} {}", row.row.role, row.row.message, cell.target.key);
        }
    }
    if write {
        let path = matrix::spec_dir().join("matrix.md");
        std::fs::write(&path, matrix::render::page(&data, &rows, &evidence))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(if all.missing == 0 && unshown.is_empty() && stale.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn generate_vectors(out: Option<PathBuf>) -> Result<ExitCode, String> {
    let out = out.unwrap_or_else(jpki_conformance::external::project_vectors_dir);
    for (name, text) in jpki_conformance::vectors::generate::generate() {
        let path = out.join(&name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    let digest = jpki_conformance::vector_digest::digest(&out).map_err(|e| e.to_string())?;
    println!("vector-set digest: {digest}");
    Ok(ExitCode::SUCCESS)
}

fn serve(args: ServeArgs) -> Result<ExitCode, String> {
    use jpki_reference::http::ServerRole;
    let mut roles = Vec::new();
    for name in &args.roles {
        roles.push(match name.as_str() {
            "issuer" => ServerRole::Issuer,
            "status" => ServerRole::Status,
            "verifier" => ServerRole::Verifier,
            other => return Err(format!("unknown role {other:?} (issuer, status, verifier)")),
        });
    }
    let mutation = match &args.mutant {
        Some(name) => Some(Mutation::from_name(name).ok_or(format!("no built-in mutant {name:?}"))?),
        None => None,
    };
    use jpki_server::mail::MailConfig;
    let mail = match (&args.smtp, &args.maildir) {
        (Some(relay), _) => MailConfig::Smtp(relay.clone()),
        (None, Some(folder)) => MailConfig::Maildir(folder.clone()),
        (None, None) if args.in_memory => MailConfig::Off,
        (None, None) => MailConfig::Maildir(args.data.join("mail")),
    };
    let mail_said = match &mail {
        MailConfig::Off => "notifications kept in the outbox, not sent".to_owned(),
        MailConfig::Maildir(folder) => format!("notifications to {}", folder.join("new").display()),
        MailConfig::Smtp(relay) => format!("notifications by SMTP to {relay}"),
    };
    let config = jpki_server::ServeConfig {
        address: args.listen,
        data: (!args.in_memory).then(|| args.data.clone()),
        store: args.store.clone(),
        test_mode: args.test_mode,
        roles,
        seed: None,
        mutation,
        fault: None,
        mail,
        senders: jpki_server::delivery::Senders { from: args.mail_from.clone(), operator: args.operator_mail.clone() },
        failpoint: args.failpoint.clone(),
        chaos: args.chaos,
        platform_roots: args
            .platform_root
            .iter()
            .map(|file| std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display())))
            .collect::<Result<Vec<_>, String>>()?,
    };
    let running = jpki_server::start(config)?;
    let store = match &args.store {
        Some(url) => format!("in PostgreSQL at {}", jpki_server::store::redact(url)),
        None if args.in_memory => "in memory".to_owned(),
        None => format!("in {}", args.data.display()),
    };
    let mut mode = if args.test_mode { ", test mode (controls under /jpki/test/)" } else { "" }.to_owned();
    if let Some(percent) = args.chaos {
        mode.push_str(&format!(", chaos on {percent}% of issuance requests"));
    }
    println!("jpki-mobile reference servers at {} (store {store}{mode}; {mail_said}); Ctrl-C stops", running.url());
    running.wait();
    Ok(ExitCode::SUCCESS)
}

fn bench_store(sizes: &[u64], lives: usize, folder: &Path) -> Result<ExitCode, String> {
    println!(
        "{:>9} {:>7} {:>8} {:>8}   ms p50/p90: {:>13} {:>13} {:>13} {:>13}",
        "holders", "load s", "disk MB", "B/holder", "challenge", "issue", "use request", "verify"
    );
    for &holders in sizes {
        let f = jpki_conformance::bench_store::measure(holders, lives, folder)?;
        let pair = |(a, b): (f64, f64)| format!("{a:.2}/{b:.2}");
        println!(
            "{:>9} {:>7.1} {:>8.1} {:>8.0}              {:>13} {:>13} {:>13} {:>13}",
            f.holders,
            f.load_secs,
            f.bytes_on_disk as f64 / 1e6,
            f.bytes_on_disk as f64 / f.holders.max(1) as f64,
            pair(f.challenge_ms),
            pair(f.issue_ms),
            pair(f.request_ms),
            pair(f.verify_ms)
        );
    }
    let (sign, verify) = jpki_conformance::bench_store::raw_ecdsa(500)?;
    println!(
        "raw ES256 ({}): sign {:.3} ms, verify {:.3} ms; an issuance makes 4 signs and 6 verifies ({:.2} ms), \
         a warm verify with its status query 2 and 3 ({:.2} ms)",
        jpki_reference::crypto::default_provider().name(),
        sign,
        verify,
        4.0 * sign + 6.0 * verify,
        2.0 * sign + 3.0 * verify
    );
    Ok(ExitCode::SUCCESS)
}

fn walkthrough(
    server: String,
    mail_listen: &str,
    wallet: Option<String>,
    platform_root: &[PathBuf],
    seed: Option<&str>,
    mail_wait: u64,
) -> Result<ExitCode, String> {
    use jpki_conformance::walkthrough::{self, Walkthrough};
    let sink = jpki_server::mail::sink::SmtpSink::start_on(mail_listen)
        .map_err(|e| format!("cannot listen for e-mail on {mail_listen}: {e}"))?;
    let platform_roots = platform_root
        .iter()
        .map(|file| std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display())))
        .collect::<Result<Vec<_>, String>>()?;
    let config = Walkthrough {
        server,
        wallet,
        platform_roots,
        seed: parse_seed(seed)?,
        mail_wait: std::time::Duration::from_secs(mail_wait),
    };
    println!(
        "walkthrough against {} ({} wallet)",
        config.server,
        if config.wallet.is_some() { "your" } else { "the reference" }
    );
    let mut step = 0;
    let outcome = walkthrough::run(&config, &sink, &mut |what| {
        if what.starts_with('…') {
            println!("  {what}");
        } else {
            step += 1;
            println!("  {step:>2}. {what}");
        }
    });
    match outcome {
        Ok(summary) => {
            println!(
                "{} e-mails for {} notifications, each once, to the holder:",
                summary.mails.len(),
                summary.notifications
            );
            for mail in &summary.mails {
                println!("  to {}: {} {}", mail.to, mail.subject, mail.message_id);
            }
            println!("walkthrough passed");
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            println!("walkthrough FAILED: {why}");
            Ok(ExitCode::from(1))
        }
    }
}

fn bench_status(rows: &[u64], samples: usize, store: Option<String>, folder: PathBuf) -> Result<ExitCode, String> {
    use jpki_conformance::bench_status::{Target, measure};
    let target = match store {
        Some(url) => Target::Postgres(url),
        None => Target::Sqlite(folder),
    };
    println!(
        "{} ({}):",
        match &target {
            Target::Sqlite(folder) => format!("SQLite in {}", folder.display()),
            Target::Postgres(url) => format!("PostgreSQL at {}", jpki_server::store::redact(url)),
        },
        jpki_reference::crypto::default_provider().name()
    );
    println!(
        "{:>11} {:>9} {:>10} {:>6} {:>20} {:>20}",
        "entries", "load s", "disk MB", "B/row", "query p50/p99 ms", "list chunk p50/p99"
    );
    for &size in rows {
        let started = std::time::Instant::now();
        let f = measure(&target, size, samples, &mut |done| {
            eprint!("\r  {done}/{size} rows written ({:.0} s)   ", started.elapsed().as_secs_f64());
        })?;
        eprint!("\r{:60}\r", "");
        println!(
            "{:>11} {:>9.1} {:>10.1} {:>6.0} {:>9.2}/{:<10.2} {:>9.2}/{:<10.2}",
            f.rows,
            f.load_secs,
            f.bytes_on_disk as f64 / 1e6,
            f.bytes_on_disk as f64 / f.rows.max(1) as f64,
            f.query_ms.0,
            f.query_ms.1,
            f.list_ms.0,
            f.list_ms.1
        );
    }
    let (sign, verify) = jpki_conformance::bench_store::raw_ecdsa(500)?;
    println!("raw ES256: sign {sign:.3} ms, verify {verify:.3} ms (a query verifies the request and signs the answer)");
    Ok(ExitCode::SUCCESS)
}

fn bench_status_list(entries: u64, samples: usize) -> Result<ExitCode, String> {
    use jpki_conformance::bench_status_list::{measure, whole_list_ms};
    println!(
        "{entries} entries in chunks of {} ({}):",
        jpki_reference::constants::LIST_CHUNK_ENTRIES,
        jpki_reference::crypto::default_provider().name()
    );
    println!(
        "{:>8} {:>4} {:>7} {:>10} {:>9} {:>9} {:>17} {:>17}",
        "revoked", "bits", "chunks", "total MB", "max KB", "build s", "one change p50/99", "lookup p50/99 ms"
    );
    for bits in [1u8, 2] {
        for per_mille in [1u64, 10, 50] {
            let f = measure(entries, per_mille, bits, samples)?;
            println!(
                "{:>7.1}% {:>4} {:>7} {:>10.2} {:>9.1} {:>9.2} {:>8.2}/{:<8.2} {:>8.2}/{:<8.2}",
                f.per_mille as f64 / 10.0,
                f.bits,
                f.chunks,
                f.total_bytes as f64 / 1e6,
                f.largest_token as f64 / 1e3,
                f.build_secs,
                f.change_ms.0,
                f.change_ms.1,
                f.lookup_ms.0,
                f.lookup_ms.1
            );
        }
    }
    println!(
        "one list of all {entries} entries (2 bits, 1 % revoked), compressed once: {:.0} ms",
        whole_list_ms(entries)?
    );
    let (sign, verify) = jpki_conformance::bench_store::raw_ecdsa(500)?;
    println!(
        "raw ES256: sign {sign:.3} ms, verify {verify:.3} ms (a change signs once; a lookup verifies twice: token and chain)"
    );
    Ok(ExitCode::SUCCESS)
}

fn bench_mail(events: usize, folder: &Path) -> Result<ExitCode, String> {
    let (smtp, maildir) = jpki_conformance::bench_mail::rates(events, folder)?;
    for (sink, rate) in [("SMTP on loopback", smtp), ("maildir folder", maildir)] {
        println!(
            "{sink:>17}: {} notifications in {:.2} s: {:.0} per second ({:.2} ms each)",
            rate.events,
            rate.secs,
            rate.per_second(),
            1000.0 * rate.secs / rate.events.max(1) as f64
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn load(config: LoadConfig) -> Result<ExitCode, String> {
    use jpki_conformance::load;
    use std::io::Write as _;
    println!(
        "load: {} holders, {} at once, against {} ({} steps a life: {})",
        config.holders,
        config.workers,
        config.suts.join(", "),
        load::LIFE.len(),
        load::LIFE.join(", ")
    );
    let started = std::time::Instant::now();
    let last_drawn = std::sync::Mutex::new(std::time::Instant::now());
    let progress = |done: usize, total: usize| {
        // redrawn at most four times a second, and at the end
        let mut last = last_drawn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if done < total && last.elapsed() < std::time::Duration::from_millis(250) {
            return;
        }
        *last = std::time::Instant::now();
        let width = 30;
        let filled = done * width / total.max(1);
        let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-9);
        let mut err = std::io::stderr();
        let _ =
            write!(err, "\r[{}{}] {done}/{total} lives, {rate:.1}/s ", "=".repeat(filled), " ".repeat(width - filled));
        if done == total {
            let _ = writeln!(err);
        }
    };
    let report = load::run(&config, &progress)?;
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    println!(
        "{} lives whole, {} cut short, in {secs:.1} s: {:.1} lives/s, {} requests, {:.0} requests/s",
        report.lives,
        report.failed_lives.len(),
        report.lives as f64 / secs,
        report.requests,
        report.requests as f64 / secs
    );
    println!("{:<40} {:>8} {:>9} {:>9} {:>8}", "endpoint", "requests", "p50 ms", "p99 ms", "refused");
    for (path, f) in &report.endpoints {
        println!("{path:<40} {:>8} {:>9.2} {:>9.2} {:>8}", f.requests, f.p50_ms, f.p99_ms, f.refused);
    }
    if report.errors.is_empty() {
        println!("refusals: none");
    } else {
        let listed: Vec<String> = report.errors.iter().map(|(code, n)| format!("{code} ×{n}")).collect();
        println!("refusals by code: {}", listed.join(", "));
        for (code, detail) in &report.first_detail {
            println!("  first {code}: {detail}");
        }
    }
    for failed in report.failed_lives.iter().take(10) {
        println!("cut short: {failed}");
    }
    if report.violations.is_empty() {
        println!("invariants over the servers' final state: none violated");
    } else {
        for violation in &report.violations {
            println!("violated: {violation}");
        }
    }
    // the ECDSA the steps need, measured now on this machine: the ratio is the figure to read
    let (sign, verify) = jpki_conformance::bench_store::raw_ecdsa(300)?;
    let issuance = 4.0 * sign + 6.0 * verify;
    let issue_p50 = report.endpoints.get("/jpki/v0/issuer/issue").map_or(0.0, |f| f.p50_ms);
    println!(
        "raw ES256 here ({}): sign {sign:.3} ms, verify {verify:.3} ms; an issuance's 4 signs and 6 verifies \
         {issuance:.2} ms, its p50 above {:.1} × that",
        jpki_reference::crypto::default_provider().name(),
        issue_p50 / issuance.max(1e-9)
    );
    let clean = report.violations.is_empty() && report.failed_lives.is_empty();
    Ok(if clean { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

use jpki_conformance::load::LoadConfig;

fn verify_audit(data: &Path, url: Option<&str>) -> Result<ExitCode, String> {
    use jpki_server::store::audit::{self, Verdict};
    let mut store = match url {
        Some(url) => jpki_server::store::Store::connect(url).map_err(|e| e.to_string())?,
        None => {
            let file = data.join("jpki.sqlite3");
            if !file.exists() {
                return Err(format!("no store at {}", file.display()));
            }
            jpki_server::store::Store::open(&file).map_err(|e| e.to_string())?
        }
    };
    match store.write(audit::verify).map_err(|e| e.to_string())? {
        Verdict::Intact { rows } => {
            println!("audit log intact: {rows} rows");
            Ok(ExitCode::SUCCESS)
        }
        Verdict::Broken { seq, why } => {
            println!("audit log broken at row {seq}: {why}");
            Ok(ExitCode::from(1))
        }
    }
}
