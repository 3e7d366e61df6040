//! Reports of a run: JSON (schema: `conformance/report.schema.json`) and
//! JUnit XML (one testcase per check), both carrying the suite version, the
//! spec version, the SUT identity and the seed.

pub mod html;
pub mod json;
pub mod junit;
pub mod signing;

use crate::checks::context::Sut;
use crate::runner::{Capabilities, CheckRun};

/// The spec version this suite checks.
pub const SPEC_VERSION: &str = "0.5";
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
}

impl RunSummary<'_> {
    /// The SUT's identity line: its name, and the vendor's own words if given.
    pub fn sut_identity(&self) -> String {
        match &self.capabilities.identity {
            Some(identity) => format!("{} ({identity})", self.sut.name()),
            None => self.sut.name(),
        }
    }
}
