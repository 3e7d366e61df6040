//! Running checks against a SUT: selection, seeds, capability statements,
//! waivers, and the outcome of each check. Never a silent pass: a check
//! passes only when its script ran to the end.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::checks::context::{self, Failure, Skip, Sut, Unimplemented};
use crate::checks::{Check, Feature, Role, Target};

/// What happened to one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The script ran to the end.
    Pass,
    /// An expectation failed (a wrong refusal code is a failure too).
    Fail {
        /// The requirement whose rule failed (the failing step's); `None`
        /// when a set-up step or the shim protocol failed, which breaks no
        /// requirement of the spec.
        requirement: Option<String>,
        /// What the check expected.
        expected: String,
        /// What it got.
        actual: String,
    },
    /// Not run: the SUT's capability statement lacks a needed feature, or
    /// the user allowed missing inputs.
    Skipped(String),
    /// The SUT said it does not implement something the check needs.
    Unimplemented(String),
    /// Run, but its result is waived by the waiver file.
    Waived {
        /// The waiver's reason.
        reason: String,
        /// What the check would otherwise have been.
        underlying: Box<Outcome>,
    },
}

impl Outcome {
    /// The outcome's name in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail { .. } => "fail",
            Outcome::Skipped(_) => "skipped",
            Outcome::Unimplemented(_) => "unimplemented",
            Outcome::Waived { .. } => "waived",
        }
    }
}

/// A capability statement: what the SUT is and which features it lacks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The SUT's own name and version, as the vendor states it.
    pub identity: Option<String>,
    /// Features the SUT does not have.
    pub absent: Vec<Feature>,
    /// Platform attestation roots (DER) its wallet attests its keys under,
    /// which the suite's Issuer then trusts besides the test PKI's.
    pub platform_roots: Vec<Vec<u8>>,
}

impl Capabilities {
    /// Parses `{"identity": "...", "absent_features": ["signing", ...],
    /// "platform_attestation_roots": ["hex of a DER certificate", ...]}`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let json: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("capability statement: {e}"))?;
        let identity = json.get("identity").and_then(|v| v.as_str()).map(str::to_owned);
        let mut absent = Vec::new();
        for name in json.get("absent_features").and_then(|v| v.as_array()).into_iter().flatten() {
            let name = name.as_str().ok_or("absent_features holds strings")?;
            absent.push(Feature::parse(name).ok_or(format!("unknown feature {name:?}"))?);
        }
        let mut platform_roots = Vec::new();
        let roots = match json.get("platform_attestation_roots") {
            None => &[][..],
            Some(serde_json::Value::Array(roots)) => roots.as_slice(),
            Some(_) => return Err("platform_attestation_roots is a list of hex strings".into()),
        };
        for root in roots {
            let hex_der = root.as_str().ok_or("platform_attestation_roots holds hex strings")?;
            let der = hex::decode(hex_der).map_err(|e| format!("a platform attestation root: {e}"))?;
            jpki_reference::pki::TrustAnchor::from_der(jpki_reference::crypto::default_provider(), &der)
                .map_err(|e| format!("a platform attestation root is not a certificate: {e}"))?;
            platform_roots.push(der);
        }
        Ok(Capabilities { identity, absent, platform_roots })
    }
}

/// Waivers: check id (or glob) → reason, one per line as `pattern: reason`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Waivers {
    /// (pattern, reason) in file order.
    pub entries: Vec<(String, String)>,
}

impl Waivers {
    /// Parses the waiver file; `#` starts a comment line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (pattern, reason) =
                line.split_once(": ").ok_or(format!("waivers line {}: expected `pattern: reason`", n + 1))?;
            if reason.trim().is_empty() {
                return Err(format!("waivers line {}: a waiver needs a reason", n + 1));
            }
            entries.push((pattern.trim().to_owned(), reason.trim().to_owned()));
        }
        Ok(Waivers { entries })
    }

    fn reason_for(&self, id: &str) -> Option<&str> {
        self.entries.iter().find(|(p, _)| glob_match(p, id)).map(|(_, r)| r.as_str())
    }
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else { return false };
            (0..=tail.len()).any(|i| tail.is_char_boundary(i) && glob_match(rest, &tail[i..]))
        }
    }
}

/// Which checks to run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only checks matching one of these (id glob or requirement id).
    pub only: Vec<String>,
    /// Not checks matching one of these.
    pub skip: Vec<String>,
    /// Only checks targeting this role.
    pub role: Option<Role>,
    /// Exactly this one check.
    pub replay: Option<String>,
}

fn matches(check: &Check, pattern: &str) -> bool {
    glob_match(pattern, &check.id) || check.requirements.iter().any(|r| glob_match(pattern, r))
}

impl Selection {
    /// The checks selected, in registry order.
    pub fn apply(&self, checks: Vec<Check>) -> Vec<Check> {
        checks
            .into_iter()
            .filter(|c| self.replay.as_ref().is_none_or(|id| *id == c.id))
            .filter(|c| self.role.is_none_or(|r| c.role() == Some(r)))
            .filter(|c| self.only.is_empty() || self.only.iter().any(|p| matches(c, p)))
            .filter(|c| !self.skip.iter().any(|p| matches(c, p)))
            .collect()
    }
}

/// What the SUT says of itself before a run: its identity and the roles
/// it plays (for a shim, the adapter's `hello`; the embedded reference and
/// its mutants play every role).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SutProfile {
    /// The SUT's own name and version.
    pub identity: String,
    /// The roles it plays; checks of the others are skipped.
    pub roles: Vec<Role>,
}

impl Default for SutProfile {
    fn default() -> Self {
        SutProfile::embedded(&Sut::Reference)
    }
}

impl SutProfile {
    /// The profile of an in-process SUT (the reference or a mutant).
    pub fn embedded(sut: &Sut) -> SutProfile {
        let identity = match sut {
            Sut::Mutant(m) => format!("jpki-mobile reference {} (mutant {})", crate::report::SUITE_VERSION, m.name()),
            _ => format!("jpki-mobile reference {}", crate::report::SUITE_VERSION),
        };
        SutProfile { identity, roles: Role::ALL.to_vec() }
    }

    /// Asks the SUT: an in-process one answers at once; a shim adapter is
    /// started once and its `hello` read (identity and roles).
    pub fn ask(sut: &Sut, seed: &[u8; 32]) -> Result<SutProfile, String> {
        if let Sut::Http { url, mutation } = sut {
            let connection = jpki_bindings::http::roles::Connection::open(url, seed, mutation.map(|m| m.name()))?;
            let mut roles = Vec::new();
            for name in &connection.roles {
                roles.push(
                    Role::parse(name).ok_or(format!("the server's reset answer names an unknown role {name:?}"))?,
                );
            }
            return Ok(SutProfile { identity: connection.identity.clone(), roles });
        }
        let Sut::Shim { command, mutation } = sut else { return Ok(SutProfile::embedded(sut)) };
        let client = jpki_bindings::shim::client::ShimClient::start(command, seed, mutation.map(|m| m.name()))
            .map_err(|e| format!("the adapter's hello: {e:?}"))?;
        let mut roles = Vec::new();
        for name in &client.roles {
            roles.push(Role::parse(name).ok_or(format!("the adapter's hello names an unknown role {name:?}"))?);
        }
        Ok(SutProfile { identity: client.identity.clone(), roles })
    }
}

/// How to run.
#[derive(Clone, Debug, Default)]
pub struct RunConfig {
    /// The SUT.
    pub sut: Sut,
    /// What the SUT said of itself (identity, roles played).
    pub profile: SutProfile,
    /// The run's seed; each check's seed derives from it and the check id.
    pub seed: [u8; 32],
    /// The capability statement.
    pub capabilities: Capabilities,
    /// The waivers.
    pub waivers: Waivers,
    /// Where failing property runs write their shrunk traces (trace vectors).
    pub trace_out: Option<std::path::PathBuf>,
    /// How many checks run at once; `0` means one per core. Each check has
    /// its own world and seed, so the outcomes do not depend on it.
    pub jobs: usize,
}

impl RunConfig {
    /// The number of worker threads a run of `checks` checks uses.
    pub fn threads(&self, checks: usize) -> usize {
        // a server under test is reset by every check: one check at a time
        if matches!(self.sut, Sut::Http { .. }) {
            return 1;
        }
        let wanted = match self.jobs {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        wanted.clamp(1, checks.max(1))
    }
}

/// One check's result.
#[derive(Clone, Debug)]
pub struct CheckRun {
    /// The check.
    pub check: Check,
    /// Its outcome.
    pub outcome: Outcome,
    /// The seed it ran with (replay with `--seed` of the run and `--replay ID`).
    pub seed: [u8; 32],
    /// How long it took (wall clock, on its worker thread).
    pub elapsed: Duration,
}

/// The seed of check `id` in a run seeded with `run_seed`.
pub fn check_seed(run_seed: &[u8; 32], id: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"jpki-conformance/check-seed/v1");
    hasher.update(run_seed);
    hasher.update(id.as_bytes());
    hasher.finalize().into()
}

thread_local! {
    /// Whether this thread is inside a check script (its panics are outcomes, not crashes).
    static IN_CHECK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs, once, a panic hook that stays silent for panics inside check
/// scripts (the outcome records them) and defers to the previous hook otherwise.
fn quiet_check_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_CHECK.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f` as a check script runs: a panic is caught (and kept quiet)
/// and handed back as the payload, say a [`context::Failure`].
pub fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    quiet_check_panics();
    IN_CHECK.with(|c| c.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    IN_CHECK.with(|c| c.set(false));
    result
}

/// Runs one check and judges it.
pub fn run_one(check: &Check, config: &RunConfig) -> CheckRun {
    let started = Instant::now();
    let seed = check_seed(&config.seed, &check.id);
    let missing: Vec<&str> =
        check.features.iter().filter(|f| config.capabilities.absent.contains(f)).map(|f| f.name()).collect();
    let unplayed = check.role().filter(|role| !config.profile.roles.contains(role));
    let outcome = if let Some(role) = unplayed {
        Outcome::Skipped(format!("the SUT does not play the {} role", role.name()))
    } else if !missing.is_empty() {
        Outcome::Skipped(format!("capability statement lacks {}", missing.join(", ")))
    } else {
        quiet_check_panics();
        context::trust_platform_roots(config.capabilities.platform_roots.clone());
        context::declare_absent(config.capabilities.absent.clone());
        context::enter_check(config.sut.clone(), seed, &check.id, config.trace_out.clone());
        IN_CHECK.with(|c| c.set(true));
        let result = catch_unwind(AssertUnwindSafe(check.run));
        IN_CHECK.with(|c| c.set(false));
        match result {
            Ok(()) => earned_pass(check),
            Err(payload) => {
                if let Some(failure) = payload.downcast_ref::<Failure>() {
                    Outcome::Fail {
                        requirement: failure.requirement.clone(),
                        expected: failure.expected.clone(),
                        actual: failure.actual.clone(),
                    }
                } else if let Some(skip) = payload.downcast_ref::<Skip>() {
                    Outcome::Skipped(skip.0.clone())
                } else if let Some(missing) = payload.downcast_ref::<Unimplemented>() {
                    Outcome::Unimplemented(format!("the SUT does not implement {}", missing.0))
                } else if let Some(missing) = payload.downcast_ref::<jpki_bindings::outcome::Missing>() {
                    Outcome::Skipped(missing.0.clone())
                } else if let Some(broken) = payload.downcast_ref::<jpki_bindings::outcome::Broken>() {
                    let failure = Failure::setup_protocol(broken.0.clone());
                    Outcome::Fail { requirement: None, expected: failure.expected, actual: failure.actual }
                } else if let Some(v) = payload.downcast_ref::<jpki_bindings::outcome::Violation>() {
                    Outcome::Fail {
                        requirement: Some(v.requirement.to_owned()),
                        expected: v.expected.clone(),
                        actual: v.actual.clone(),
                    }
                } else {
                    let message = payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_else(|| "the check's script stopped".into());
                    // a stop inside a named step breaks that step's requirement; before any, it is set-up
                    let requirement = context::current_step().map(str::to_owned);
                    let expected = match requirement {
                        Some(_) => "the step to go as specified",
                        None => "set-up to succeed",
                    };
                    Outcome::Fail { requirement, expected: expected.into(), actual: message }
                }
            }
        }
    };
    let outcome = match config.waivers.reason_for(&check.id) {
        Some(reason) if !matches!(outcome, Outcome::Skipped(_)) => {
            Outcome::Waived { reason: reason.to_owned(), underlying: Box::new(outcome) }
        }
        _ => outcome,
    };
    CheckRun { check: check.clone(), outcome, seed, elapsed: started.elapsed() }
}

/// A script that ran to the end passes only if it drove the SUT role the
/// check judges: a check that never reached it has earned nothing.
fn earned_pass(check: &Check) -> Outcome {
    match check.target {
        Target::Sut(role) if !context::driven().contains(&role) => Outcome::Fail {
            requirement: None,
            expected: format!("the check to drive the SUT's {} role", role.name()),
            actual: "no protocol message reached it: a defect of the suite, please report it".into(),
        },
        _ => Outcome::Pass,
    }
}

/// A worker thread's stack: check scripts decode deeply nested inputs and
/// shrink property runs, which the main thread's larger stack also allows.
const WORKER_STACK: usize = 16 << 20;

/// Runs `checks` on [`RunConfig::threads`] worker threads, telling
/// `progress` as each one ends (in the order they end) and returning the
/// results in the order of `checks`, whatever the number of threads.
pub fn run(checks: &[Check], config: &RunConfig, progress: &mut dyn FnMut(usize, usize, &CheckRun)) -> Vec<CheckRun> {
    let total = checks.len();
    let threads = config.threads(total);
    if threads == 1 {
        let mut runs = Vec::with_capacity(total);
        for (i, check) in checks.iter().enumerate() {
            let result = run_one(check, config);
            progress(i + 1, total, &result);
            runs.push(result);
        }
        return runs;
    }
    let next = AtomicUsize::new(0);
    let (sender, results) = std::sync::mpsc::channel::<(usize, CheckRun)>();
    let mut slots: Vec<Option<CheckRun>> = vec![None; total];
    std::thread::scope(|scope| {
        for worker in 0..threads {
            let (sender, next) = (sender.clone(), &next);
            let spawned = std::thread::Builder::new()
                .name(format!("check-worker-{worker}"))
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, move || {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(check) = checks.get(index) else { break };
                        if sender.send((index, run_one(check, config))).is_err() {
                            break;
                        }
                    }
                });
            if spawned.is_err() {
                break; // fewer workers; the ones running (or the loop below) finish the work
            }
        }
        drop(sender);
        for (done, (index, result)) in results.iter().enumerate() {
            progress(done + 1, total, &result);
            slots[index] = Some(result);
        }
    });
    // a check no worker took (no thread could be spawned) runs here
    slots.into_iter().zip(checks).map(|(slot, check)| slot.unwrap_or_else(|| run_one(check, config))).collect()
}

/// How many checks ended each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Skipped (capability statement, a role not played, missing inputs).
    pub skipped: usize,
    /// The SUT said it does not implement something needed.
    pub unimplemented: usize,
    /// Waived by the waiver file.
    pub waived: usize,
}

impl Tally {
    /// The one-line summary, every outcome kind named: `3 passed, 0 failed, …`.
    pub fn line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped, {} unimplemented, {} waived",
            self.pass, self.fail, self.skipped, self.unimplemented, self.waived
        )
    }
}

/// Counts per outcome.
pub fn tally<'a>(runs: impl IntoIterator<Item = &'a CheckRun>) -> Tally {
    let mut counts = Tally::default();
    for run in runs {
        let slot = match run.outcome {
            Outcome::Pass => &mut counts.pass,
            Outcome::Fail { .. } => &mut counts.fail,
            Outcome::Skipped(_) => &mut counts.skipped,
            Outcome::Unimplemented(_) => &mut counts.unimplemented,
            Outcome::Waived { .. } => &mut counts.waived,
        };
        *slot += 1;
    }
    counts
}

/// The checks that caught `mutation`: those whose failure itself names the
/// requirement the mutant breaks. What a check declares it covers does not
/// count, nor does a failure of another requirement or of set-up: a mutant
/// is caught for the right reason or not at all.
pub fn catchers(runs: &[CheckRun], mutation: jpki_reference::mutants::Mutation) -> Vec<&str> {
    runs.iter()
        .filter(|r| r.check.target != Target::Suite)
        .filter(|r| match &r.outcome {
            Outcome::Fail { requirement: Some(requirement), .. } => requirement == mutation.requirement(),
            _ => false,
        })
        .map(|r| r.check.id.as_str())
        .collect()
}
