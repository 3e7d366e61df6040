//! Reports of a run: JSON (schema: `conformance/report.schema.json`) and
//! JUnit XML (one testcase per check), both carrying the suite version, the
//! spec version, the SUT identity and the seed.

pub mod html;
pub mod json;
pub mod junit;
pub mod signing;

use crate::checks::context::Sut;
use crate::runner::{Capabilities, CheckRun, SutProfile};
use crate::verdict::Certification;

/// The spec version this suite checks (defined with the spec's index).
pub use crate::spec_index::SPEC_VERSION;
/// The suite version.
pub const SUITE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything a report says about one run.
pub struct RunSummary<'a> {
    /// The SUT.
    pub sut: Sut,
    /// Its capability statement.
    pub capabilities: &'a Capabilities,
    /// The run seed.
    pub seed: [u8; 32],
    /// The results.
    pub runs: &'a [CheckRun],
    /// What the SUT said of itself (identity, roles played).
    pub profile: &'a SutProfile,
    /// Whether the selection left checks out (`--only`, `--skip`, `--role`, `--replay`).
    pub partial: bool,
    /// How the run was timed (a report's only run-to-run difference).
    pub timing: Timing,
}

/// How a run was timed. Nothing a run decides depends on it; reports of one
/// seed differ only here and in each check's duration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timing {
    /// The worker threads the checks ran on.
    pub threads: usize,
    /// The run's wall time.
    pub wall: std::time::Duration,
}

impl RunSummary<'_> {
    /// The SUT's identity: its own (the adapter's `hello`), and the
    /// capability statement's where it says something else.
    pub fn sut_identity(&self) -> String {
        match &self.capabilities.identity {
            Some(stated) if *stated != self.profile.identity => {
                format!("{} (capability statement: {stated})", self.profile.identity)
            }
            _ => self.profile.identity.clone(),
        }
    }

    /// The run's certification verdict (as reports show it).
    pub fn certification(&self) -> Certification {
        Certification::of(self.runs, self.profile, &self.capabilities.absent, self.partial, false)
    }

    /// The command that reruns one check exactly: the same SUT and seed.
    pub fn replay_command(&self, check_id: &str) -> String {
        let sut = match &self.sut {
            Sut::Shim { command, .. } => format!("'shim:{}'", command.replace('\'', "'\\''")),
            other => other.name(),
        };
        format!("jpki-conformance run --sut {sut} --seed {} --replay {check_id}", hex::encode(self.seed))
    }
}
