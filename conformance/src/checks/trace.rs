//! Trace vectors: a sequence of lifecycle operations with the seed of the
//! worlds it runs in, written as JSON (`jpki-trace/1`). A failing property
//! run writes its shrunk trace as one; `vectors/traces/` holds committed
//! ones (a minimal witness per built-in mutant). Replaying a trace runs it on
//! the model and on the SUT side by side, exactly as the property check does:
//! same answer (exact code) and same state snapshot after every step, no
//! invariant violated.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::context;
use super::divergence::Divergence;
use super::property::{self, Op};

/// The trace file format's version.
pub const TRACE_SCHEMA: &str = "jpki-trace/1";

/// One trace vector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceFile {
    /// [`TRACE_SCHEMA`].
    pub schema: String,
    /// The spec version whose model recorded the answers (spec/README.md).
    pub spec_version: String,
    /// What the trace shows.
    pub comment: String,
    /// The seed both worlds are built from (64 hex digits).
    pub seed: String,
    /// The operations, in order (two holders h0, h1; three devices d0–d2;
    /// rp 0 = gov, 1 = shop: see `conformance/src/checks/property.rs`).
    pub ops: Vec<Op>,
    /// What the model answered at each step (`ok`, a registry code, or
    /// several joined by commas for compound operations).
    pub model_answers: Vec<String>,
}

impl TraceFile {
    /// A trace of `ops` in worlds of `seed`, the model's answers filled in.
    pub fn from_run(seed: [u8; 32], ops: &[Op], comment: &str) -> TraceFile {
        let mut model = property::world_for(false, seed);
        let model_answers = ops.iter().map(|op| property::apply(&mut model, op)).collect();
        TraceFile {
            schema: TRACE_SCHEMA.into(),
            spec_version: crate::spec_index::SPEC_VERSION.into(),
            comment: comment.into(),
            seed: hex::encode(seed),
            ops: ops.to_vec(),
            model_answers,
        }
    }

    /// Reads and checks a trace file.
    pub fn read(path: &Path) -> Result<TraceFile, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file: TraceFile = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if file.schema != TRACE_SCHEMA {
            return Err(format!("{}: schema {} (expected {TRACE_SCHEMA})", path.display(), file.schema));
        }
        if file.spec_version != crate::spec_index::SPEC_VERSION {
            return Err(format!(
                "{}: recorded under spec {} (the suite's is {}): re-record it with replay-trace --record",
                path.display(),
                file.spec_version,
                crate::spec_index::SPEC_VERSION
            ));
        }
        if file.model_answers.len() != file.ops.len() {
            return Err(format!("{}: one model answer per op", path.display()));
        }
        file.seed_bytes()?;
        Ok(file)
    }

    /// The seed as bytes.
    pub fn seed_bytes(&self) -> Result<[u8; 32], String> {
        hex::decode(&self.seed).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| "seed: 64 hex digits".to_owned())
    }

    /// The file's JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Writes the trace as `DIR/NAME.trace.json` (`::` in the name become `-`).
    pub fn write_to(&self, dir: &Path, name: &str) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{}.trace.json", name.replace("::", "-")));
        std::fs::write(&path, self.to_json())?;
        Ok(path)
    }

    /// Replays the trace against the running check's SUT; `Err` names the
    /// first step where the SUT and the model part, or a stale trace (the
    /// model no longer answers as recorded: the spec changed).
    pub fn replay(&self) -> Result<(), Divergence> {
        let unbound = |detail: String| Divergence { requirement: None, detail };
        let seed = self.seed_bytes().map_err(unbound)?;
        let fresh = TraceFile::from_run(seed, &self.ops, &self.comment);
        if fresh.model_answers != self.model_answers {
            return Err(unbound(format!(
                "stale trace: the model now answers {:?}, the file records {:?}",
                fresh.model_answers, self.model_answers
            )));
        }
        property::compare(seed, &self.ops)
    }
}

/// The committed trace vectors: `vectors/traces/*.trace.json`, sorted.
pub fn committed() -> Vec<PathBuf> {
    let dir = crate::external::project_vectors_dir().join("traces");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p| p.to_string_lossy().ends_with(".trace.json"));
    paths.sort();
    paths
}

/// The `traces::committed` check: every committed trace replays against the SUT.
pub fn run_committed() {
    let paths = committed();
    if paths.is_empty() {
        context::fail("committed trace vectors in vectors/traces/", "none found");
    }
    let mut failures: Vec<(Option<String>, String)> = Vec::new();
    let qualification_absent = context::absent(super::Feature::Qualification);
    for path in &paths {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let replayed = TraceFile::read(path).map_err(|detail| Divergence { requirement: None, detail });
        // a trace of the qualification says nothing of a SUT that declares it absent
        let qualified = |t: &TraceFile| {
            t.ops.iter().any(|op| matches!(op, Op::IssueQualified { .. } | Op::ReadQualification { .. }))
        };
        if qualification_absent && replayed.as_ref().is_ok_and(qualified) {
            continue;
        }
        if let Err(e) = replayed.and_then(|t| t.replay()) {
            failures.push((e.requirement.clone(), format!("{name}: {e}")));
        }
    }
    if let Some((requirement, _)) = failures.first() {
        let expected = format!("all {} traces replay as the model answers", paths.len());
        let actual: Vec<&str> = failures.iter().map(|(_, f)| f.as_str()).collect();
        // the first trace that parts names the requirement its divergence breaks
        match requirement {
            Some(requirement) => context::fail_on(requirement, expected, actual.join("; ")),
            None => context::fail(expected, actual.join("; ")),
        }
    }
}
