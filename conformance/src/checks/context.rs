//! What a check script sees of the run: the system under test and the seed,
//! set by the runner for the check it is running (a thread-local, so the
//! scripts read like tests), and how a script reports a failure.
//!
//! Check scripts are written like tests: a failed expectation ends the
//! script by panicking with a [`Failure`] payload, which the runner turns
//! into a `fail` outcome showing expected and actual. Any other panic (a
//! set-up step that could not run) also becomes `fail`, with its message.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::PathBuf;

use jpki_reference::Code;
use jpki_reference::mutants::{Family, Mutation};
use jpki_reference::world::{FlowError, World};

use super::Role;

/// The system under test.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Sut {
    /// The embedded reference.
    #[default]
    Reference,
    /// The reference with one rule switched off.
    Mutant(Mutation),
    /// An adapter process speaking the shim protocol (`conformance/SHIM.md`),
    /// started once per check with `sh -c COMMAND`; `mutation` asks the
    /// template shim to run one of its built-in mutants.
    Shim {
        /// The command line.
        command: String,
        /// A built-in mutant of the template shim.
        mutation: Option<Mutation>,
    },
    /// A server speaking the HTTP binding (spec/http.md) in test mode, at
    /// `url` (`http://host:port`); every check resets it, so checks run
    /// one at a time. `mutation` asks the reference server to run one of
    /// its built-in (scenario) mutants.
    Http {
        /// The server's base URL.
        url: String,
        /// A built-in mutant of the reference server.
        mutation: Option<Mutation>,
    },
}

impl Sut {
    /// Parses `reference`, `mutant:NAME`, `shim:COMMAND` or `http://HOST:PORT`.
    pub fn parse(text: &str) -> Option<Sut> {
        if text.starts_with("http://") {
            return Some(Sut::Http { url: text.trim_end_matches('/').to_owned(), mutation: None });
        }
        if let Some(command) = text.strip_prefix("shim:") {
            return (!command.is_empty()).then(|| Sut::Shim { command: command.to_owned(), mutation: None });
        }
        match text.strip_prefix("mutant:") {
            Some(name) => Mutation::from_name(name).map(Sut::Mutant),
            None if text == "reference" => Some(Sut::Reference),
            None => None,
        }
    }

    /// Its name in reports.
    pub fn name(&self) -> String {
        match self {
            Sut::Reference => "reference".into(),
            Sut::Mutant(m) => format!("mutant:{}", m.name()),
            Sut::Shim { command, mutation: None } => format!("shim:{command}"),
            Sut::Shim { command, mutation: Some(m) } => format!("shim:{command} (mutant {})", m.name()),
            Sut::Http { url, mutation: None } => url.clone(),
            Sut::Http { url, mutation: Some(m) } => format!("{url} (mutant {})", m.name()),
        }
    }
}

#[derive(Clone)]
struct Current {
    sut: Sut,
    seed: [u8; 32],
    check_id: String,
    trace_out: Option<PathBuf>,
    /// The requirement the script is checking now (see [`step`]).
    step: Option<&'static str>,
    /// The SUT's roles that received a protocol message during the check.
    driven: BTreeSet<Role>,
    /// Platform attestation roots (DER) the suite's Issuer trusts besides
    /// the test PKI's: those the SUT's capability statement declares.
    platform_roots: Vec<Vec<u8>>,
    /// Features the capability statement declares absent.
    absent: Vec<super::Feature>,
}

thread_local! {
    static CURRENT: RefCell<Current> = const {
        RefCell::new(Current {
            sut: Sut::Reference,
            seed: [0; 32],
            check_id: String::new(),
            trace_out: None,
            step: None,
            driven: BTreeSet::new(),
            platform_roots: Vec::new(),
            absent: Vec::new(),
        })
    };
}

/// Sets the SUT and seed for the check about to run on this thread.
pub fn enter(sut: Sut, seed: [u8; 32]) {
    enter_check(sut, seed, "", None);
}

/// As [`enter`], naming the check and where failing property runs write
/// their shrunk traces (trace vectors).
pub fn enter_check(sut: Sut, seed: [u8; 32], check_id: &str, trace_out: Option<PathBuf>) {
    // a step mutant rides in the thread (mutants::Family::Step): switched on
    // for this check, and off again for the next
    let step = match &sut {
        Sut::Mutant(m) if m.family() == Family::Step => Some(*m),
        _ => None,
    };
    jpki_reference::mutants::set_ambient(step);
    CURRENT.with(|c| {
        let platform_roots = std::mem::take(&mut c.borrow_mut().platform_roots);
        let absent = std::mem::take(&mut c.borrow_mut().absent);
        *c.borrow_mut() = Current {
            sut,
            seed,
            check_id: check_id.to_owned(),
            trace_out,
            step: None,
            driven: BTreeSet::new(),
            platform_roots,
            absent,
        }
    });
}

/// The features the SUT's capability statement declares absent, for the
/// checks run on this thread from now on (a check that needs one is
/// skipped; the property run's operations of one answer alike on both sides).
pub fn declare_absent(features: Vec<super::Feature>) {
    CURRENT.with(|c| c.borrow_mut().absent = features);
}

/// Whether the SUT's capability statement declares `feature` absent.
pub fn absent(feature: super::Feature) -> bool {
    CURRENT.with(|c| c.borrow().absent.contains(&feature))
}

/// The platform attestation roots (DER) the suite's Issuer trusts, besides
/// the test PKI's, in the worlds of the checks run on this thread from now
/// on (a vendor's wallet attests under its own platform's root).
pub fn trust_platform_roots(roots: Vec<Vec<u8>>) {
    CURRENT.with(|c| c.borrow_mut().platform_roots = roots);
}

/// Names the requirement the script checks from here on. Until the next
/// `step`, any failure of the script (a failed expectation, a refused step,
/// a stop) is reported as a break of this requirement; a failure before the
/// first `step` is a set-up failure and names none.
pub fn step(requirement: &'static str) {
    CURRENT.with(|c| c.borrow_mut().step = Some(requirement));
}

/// The requirement the running script is checking, if it named one.
pub fn current_step() -> Option<&'static str> {
    CURRENT.with(|c| c.borrow().step)
}

/// Records that a protocol message reached the SUT playing `role` (called
/// by the bindings; snapshots, state loads and other controls do not count).
pub fn drove(role: Role) {
    CURRENT.with(|c| {
        c.borrow_mut().driven.insert(role);
    });
}

/// The SUT's roles the running check has sent a protocol message to.
pub fn driven() -> BTreeSet<Role> {
    CURRENT.with(|c| c.borrow().driven.clone())
}

/// The running check's id.
pub fn check_id() -> String {
    CURRENT.with(|c| c.borrow().check_id.clone())
}

/// Where a failing property run writes its trace vector, if anywhere.
pub fn trace_out() -> Option<PathBuf> {
    CURRENT.with(|c| c.borrow().trace_out.clone())
}

/// The platform attestation roots the running check's Issuer trusts
/// besides the test PKI's (see [`trust_platform_roots`]).
pub fn platform_roots() -> Vec<Vec<u8>> {
    CURRENT.with(|c| c.borrow().platform_roots.clone())
}

/// A failed expectation: the requirement whose rule failed, what the
/// check expected, what it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The requirement the failed step enforces; `None` for a set-up step
    /// (which breaks no rule of the SUT's and never counts as a catch).
    pub requirement: Option<String>,
    /// Expected (an error code, or a description).
    pub expected: String,
    /// Actual.
    pub actual: String,
}

impl Failure {
    /// A set-up step that could not run.
    pub fn setup(detail: String) -> Self {
        Failure { requirement: None, expected: "set-up to succeed".into(), actual: detail }
    }

    /// A SUT that broke its binding's transport (crashed, hung, babbled): a
    /// failure of the SUT, but of no protocol requirement.
    pub fn setup_protocol(detail: String) -> Self {
        Failure { requirement: None, expected: "a SUT that follows its binding (shim or HTTP)".into(), actual: detail }
    }
}

/// Ends the script with a failure of the current [`step`]'s requirement.
pub fn fail(expected: impl Into<String>, actual: impl Into<String>) -> ! {
    std::panic::panic_any(Failure {
        requirement: current_step().map(str::to_owned),
        expected: expected.into(),
        actual: actual.into(),
    })
}

/// Ends the script with a failure of `requirement`.
pub fn fail_on(requirement: &str, expected: impl Into<String>, actual: impl Into<String>) -> ! {
    std::panic::panic_any(Failure {
        requirement: Some(requirement.to_owned()),
        expected: expected.into(),
        actual: actual.into(),
    })
}

/// Asserts a refusal with exactly `code` that left the world unchanged; a
/// failure names the requirement `code` enforces (a moved state, INV-011).
pub fn refused<T: std::fmt::Debug>(result: Result<T, FlowError>, code: Code) -> FlowError {
    refused_under(result, code, code.requirement())
}

/// As [`refused`], for a step that enforces `requirement` rather than the
/// one `code` names (a use refused because Status said `suspended` breaks
/// USE-013 when accepted).
pub fn refused_under<T: std::fmt::Debug>(result: Result<T, FlowError>, code: Code, requirement: &str) -> FlowError {
    match result {
        Ok(value) => {
            let mut said = format!("{value:?}");
            if said.len() > 120 {
                said = format!("{}…", said.chars().take(120).collect::<String>());
            }
            fail_on(requirement, code.as_str(), format!("accepted ({said})"))
        }
        Err(error) if error.code() != code => {
            fail_on(requirement, code.as_str(), format!("{} at {:?}", error.error, error.hop))
        }
        Err(error) if !error.unchanged => {
            fail_on("INV-011", format!("{code}, nothing changed"), format!("{code}, but the state moved"))
        }
        Err(error) => error,
    }
}

/// Asserts a step succeeded; a refusal fails the check with its code.
pub fn accepted<T>(result: Result<T, FlowError>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => fail(format!("{what} accepted"), format!("refused: {}", error.error)),
    }
}

/// Asserts `actual == expected`.
pub fn same<T: PartialEq + std::fmt::Debug>(actual: T, expected: T, what: &str) {
    if actual != expected {
        fail(format!("{what}: {expected:?}"), format!("{actual:?}"));
    }
}

/// Asserts the world found no invariant violation.
pub fn no_violations(world: &World) {
    if let Some(v) = world.violations().first() {
        fail_on(&format!("INV-{:03}", v.invariant), "no invariant violation", v.detail.clone());
    }
}

/// A panic payload that ends a script as `skipped` (e.g. the external
/// vectors are missing and the user allowed it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip(pub String);

/// Ends the script as `skipped`.
pub fn skip(reason: String) -> ! {
    std::panic::panic_any(Skip(reason))
}

/// A panic payload that ends a script as `unimplemented`: the SUT said it
/// does not implement the named method.
pub use jpki_bindings::outcome::Unimplemented;

/// The running check's SUT.
pub fn sut() -> Sut {
    CURRENT.with(|c| c.borrow().sut.clone())
}

/// The running check's seed.
pub fn seed() -> [u8; 32] {
    CURRENT.with(|c| c.borrow().seed)
}
