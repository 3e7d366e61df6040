//! The run's verdict: for which roles and features the SUT is certified, or
//! why not; the verdict per requirement; and the exit status. One
//! definition, read by the terminal summary and every report.
//!
//! A SUT is certified only by checks that drove it: `suite::*` self-tests
//! never count, a requirement no SUT-driving check covered is `not-tested`,
//! and an `unimplemented` or waived outcome, a failed self-test or a partial
//! selection leaves the run not certified.

use std::collections::BTreeMap;

use crate::checks::{Feature, Role, Target};
use crate::runner::{CheckRun, Outcome, SutProfile, tally};
use crate::spec_index;

/// Exit status: nothing failed and the SUT is certified (or a flag allowed
/// what kept it from being so; the report still says not certified).
pub const EXIT_OK: u8 = 0;
/// Exit status: a check failed (a SUT check, or one of the suite's self-tests).
pub const EXIT_FAILED: u8 = 1;
/// Exit status: bad arguments, an unreadable file, reports not written.
pub const EXIT_USAGE: u8 = 2;
/// Exit status: nothing failed, but the SUT is not certified because it
/// answered `unimplemented` (`--allow-unimplemented` turns this into 0) or
/// earned no pass in a run that had checks of it.
pub const EXIT_NOT_CERTIFIED: u8 = 3;

/// Requirements on what the suite itself plays: no SUT can break them, so
/// they are shown as the suite's, never as the SUT's pass or fail.
pub fn suite_played(requirement: &str) -> Option<&'static str> {
    match requirement {
        // the Card's own rules (PIN-004, the order a wallet asks in, is the wallet's)
        "PIN-001" | "PIN-002" | "PIN-003" => Some("the Card, which the suite plays"),
        "PKI-011" => Some("the suite's test PKI"),
        "CRY-002" => Some("the reference's own signatures"),
        "STL-003" => Some("the status-list reader, which the suite plays (no role under test reads a list in v0)"),
        _ => None,
    }
}

/// What a run shows: the certification and its reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certification {
    /// Certified for every role it plays and every feature it has.
    pub certified: bool,
    /// The roles the SUT plays in which it is certified: at least one of
    /// their checks passed (and, the SUT being certified, none did otherwise
    /// than pass or skip).
    pub roles: Vec<Role>,
    /// The features certified: those not declared absent, in the certified roles.
    pub features: Vec<Feature>,
    /// Why not certified (empty when certified).
    pub reasons: Vec<String>,
    /// What the exit status is.
    pub exit: u8,
}

impl Certification {
    /// The verdict of `runs`. `partial` says the selection left checks out;
    /// `allow_unimplemented` lets unimplemented outcomes exit 0 (the verdict
    /// stays "not certified").
    pub fn of(
        runs: &[CheckRun],
        profile: &SutProfile,
        absent: &[Feature],
        partial: bool,
        allow_unimplemented: bool,
    ) -> Certification {
        let sut_runs: Vec<&CheckRun> = runs.iter().filter(|r| r.check.target != Target::Suite).collect();
        let suite_runs: Vec<&CheckRun> = runs.iter().filter(|r| r.check.target == Target::Suite).collect();
        let sut = tally(sut_runs.iter().copied());
        let suite = tally(suite_runs.iter().copied());
        let mut reasons = Vec::new();
        if sut.fail > 0 {
            reasons.push(format!("{} check(s) failed", sut.fail));
        }
        if suite.fail > 0 {
            reasons.push(format!("{} of the suite's self-tests failed: the suite cannot judge", suite.fail));
        }
        if sut.unimplemented > 0 {
            reasons.push(format!(
                "{} check(s) unimplemented (declare an absent feature in the capability statement, or implement it)",
                sut.unimplemented
            ));
        }
        if sut.waived > 0 {
            reasons.push(format!("{} check(s) waived", sut.waived));
        }
        if partial {
            reasons.push("a partial run (--only, --skip, --role or --replay) certifies nothing".into());
        }
        if sut.pass == 0 {
            reasons.push("no check of the SUT passed".into());
        }
        if sut_runs.is_empty() {
            reasons.push("no check of the SUT ran".into());
        }
        if profile.roles.is_empty() {
            reasons.push("the SUT plays no role".into());
        }
        let certified = reasons.is_empty();
        // certified: every SUT check passed or was skipped; a role counts once one of its checks passed
        let (roles, features) = if certified {
            let passed =
                |role: &Role| sut_runs.iter().any(|r| r.check.role() == Some(*role) && r.outcome == Outcome::Pass);
            (
                profile.roles.iter().copied().filter(passed).collect(),
                Feature::ALL.into_iter().filter(|f| !absent.contains(f)).collect(),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let exit = if sut.fail > 0 || suite.fail > 0 {
            EXIT_FAILED
        } else if sut.unimplemented > 0 {
            if allow_unimplemented { EXIT_OK } else { EXIT_NOT_CERTIFIED }
        } else if sut.pass == 0 && !sut_runs.is_empty() {
            EXIT_NOT_CERTIFIED
        } else {
            EXIT_OK
        };
        Certification { certified, roles, features, reasons, exit }
    }

    /// The report's first line: certified for what, or why not.
    pub fn headline(&self) -> String {
        if self.certified {
            let roles: Vec<&str> = self.roles.iter().map(|r| r.name()).collect();
            let features: Vec<&str> = self.features.iter().map(|f| f.name()).collect();
            format!("CERTIFIED for {} · features: {}", roles.join(", "), features.join(", "))
        } else {
            format!("NOT CERTIFIED: {}", self.reasons.join("; "))
        }
    }
}

/// A requirement's verdict: an outcome name, `not-tested` (no SUT-driving
/// check covered it), `untestable` (so marked in the spec), or `suite`
/// (a rule of what the suite itself plays).
pub fn requirement_verdicts(runs: &[CheckRun]) -> BTreeMap<String, &'static str> {
    // a failure outranks everything; a waived failure or an unimplemented
    // step keeps a requirement from `pass`
    let rank = |v: &str| match v {
        "fail" => 5,
        "waived" => 4,
        "unimplemented" => 3,
        "pass" => 2,
        "skipped" => 1,
        _ => 0,
    };
    let mut verdicts: BTreeMap<String, &'static str> = BTreeMap::new();
    for run in runs.iter().filter(|r| r.check.target != Target::Suite) {
        for requirement in &run.check.requirements {
            let current = verdicts.entry(requirement.clone()).or_insert(run.outcome.name());
            if rank(run.outcome.name()) > rank(current) {
                *current = run.outcome.name();
            }
        }
    }
    for requirement in spec_index::requirements() {
        let verdict = if suite_played(&requirement.id).is_some() {
            "suite"
        } else if let Some(v) = verdicts.get(&requirement.id) {
            v
        } else if requirement.untestable {
            "untestable"
        } else {
            "not-tested"
        };
        verdicts.insert(requirement.id, verdict);
    }
    verdicts
}
