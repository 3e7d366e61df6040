//! The conformance matrix: for every message a role receives, each defect
//! class crossed with what the message carries, and for each cell what
//! covers it: fixed vectors, checks that drive the SUT, or a reason from a
//! closed list. `spec/matrix.json` holds the data people edit (which rows,
//! how vector flags map to cells, checks and reasons); the cells themselves
//! are derived from `spec/messages.cddl` ([`targets`]), so a field added to
//! the CDDL is a new cell without a cover until someone gives it one.
//! `spec/matrix.md` is rendered from both ([`render`]), and each covered
//! cell is shown to fail on a mutant ([`evidence`]).

pub mod cddl;
pub mod evidence;
pub mod render;
pub mod targets;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::vectors::format::{VectorFile, VectorTest};
use targets::{Class, Target};

/// The matrix data file, `spec/matrix.json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixFile {
    /// `jpki-matrix/1`.
    pub schema: String,
    /// Text for the rendered page's head.
    pub header: Vec<String>,
    /// The closed list of reasons a cell may give instead of a cover.
    pub reasons: BTreeMap<String, String>,
    /// Vector flag (or `Flag:code`, `Flag:valid`) → the cells a test with
    /// it covers; `{signer}` stands for the row's signer.
    pub flags: BTreeMap<String, Vec<String>>,
    /// One row per (role, message, endpoint).
    pub rows: Vec<Row>,
}

/// One message as one role receives it at one endpoint.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Row {
    /// The receiving role.
    pub role: String,
    /// The CDDL rule of the message.
    pub message: String,
    /// The vector file whose tests are this row's.
    pub file: String,
    /// The endpoint of those tests (`null`: tests without one).
    pub endpoint: Option<String>,
    /// Only tests carrying one of these flags are the row's (empty: any).
    #[serde(default)]
    pub with_flags: Vec<String>,
    /// Tests carrying one of these flags are not the row's.
    #[serde(default)]
    pub without_flags: Vec<String>,
    /// Nor are the tests of these rows of the same file (by message): a
    /// message nested in this row's, whose row picks its tests by
    /// `withFlags`.
    #[serde(default)]
    pub without_rows_of: Vec<String>,
    /// What `{signer}` stands for in the flag map.
    pub signer: String,
    /// What `{signer}` stands for in a test carrying one of these flags
    /// (a message with two signed objects marks the other one).
    #[serde(default)]
    pub signer_flags: BTreeMap<String, String>,
    /// Named time bounds the receiver checks beyond the message's fields.
    #[serde(default)]
    pub bounds: Vec<String>,
    /// Row-specific additions to the flag map.
    #[serde(default)]
    pub flags: BTreeMap<String, Vec<String>>,
    /// Covers by check, and reasons, by cell key.
    #[serde(default)]
    pub cells: BTreeMap<String, CellEntry>,
}

/// What the data file says about one cell.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellEntry {
    /// Checks that drive the SUT and fail on this defect.
    #[serde(default)]
    pub checks: Vec<String>,
    /// The mutant a check cell is shown to fail on.
    pub mutant: Option<String>,
    /// A reason from the closed list instead of a cover.
    pub reason: Option<String>,
    /// The reason's detail (for `covered-by`: the cell key that covers it).
    pub detail: Option<String>,
    /// Not covered yet: what is missing. A known gap, listed so that the
    /// matrix says it rather than hiding it; the issue stays open while any
    /// remains.
    pub gap: Option<String>,
    /// A covered cell no mutant is shown failing yet, and why: listed so
    /// that the matrix says it; an entry whose cell now has evidence is an
    /// error (the list only shrinks).
    pub unshown: Option<String>,
}

/// How one cell is covered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cover {
    /// Fixed vectors (file, tcIds).
    Vectors(Vec<usize>),
    /// Checks that drive the SUT, and the mutant they fail on.
    Checks(Vec<String>, Option<String>),
    /// A reason from the closed list, with its detail.
    Reason(String, String),
    /// A known gap.
    Gap(String),
    /// Nothing at all (the matrix test fails).
    Missing,
}

/// One cell of a row.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The target.
    pub target: Target,
    /// Its cover.
    pub cover: Cover,
}

/// One row with its cells.
#[derive(Clone, Debug)]
pub struct RowCells {
    /// The row's data.
    pub row: Row,
    /// Its cells, in target order.
    pub cells: Vec<Cell>,
    /// The row's vector tests.
    pub tests: Vec<VectorTest>,
}

/// Where the matrix files live.
pub fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec")
}

/// Reads `spec/matrix.json`.
pub fn read() -> Result<MatrixFile, String> {
    let path = spec_dir().join("matrix.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: MatrixFile = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if file.schema != "jpki-matrix/1" {
        return Err(format!("{}: schema {}, expected jpki-matrix/1", path.display(), file.schema));
    }
    Ok(file)
}

fn read_vectors(name: &str) -> Result<VectorFile, String> {
    let path = crate::external::project_vectors_dir().join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The row's tests of `file` (`rows`: every row, for `withoutRowsOf`).
fn row_tests(row: &Row, rows: &[Row], file: &VectorFile) -> Vec<VectorTest> {
    let any = |test: &VectorTest, flags: &[String]| test.flags.iter().any(|f| flags.contains(f));
    let mut without = row.without_flags.clone();
    for other in rows.iter().filter(|r| r.file == row.file && row.without_rows_of.contains(&r.message)) {
        without.extend(other.with_flags.iter().cloned());
    }
    file.test_groups
        .iter()
        .flat_map(|g| &g.tests)
        .filter(|t| t.endpoint == row.endpoint)
        .filter(|t| row.with_flags.is_empty() || any(t, &row.with_flags))
        .filter(|t| !any(t, &without))
        .cloned()
        .collect()
}

/// The cells a test covers under the flag maps.
fn covered_by(matrix: &MatrixFile, row: &Row, test: &VectorTest) -> Vec<String> {
    let outcome = test.code.clone().unwrap_or_else(|| "valid".to_owned());
    let signer = test.flags.iter().find_map(|f| row.signer_flags.get(f)).unwrap_or(&row.signer);
    let mut out = Vec::new();
    for flag in &test.flags {
        let specific = format!("{flag}:{outcome}");
        let keys = row
            .flags
            .get(&specific)
            .or_else(|| row.flags.get(flag))
            .or_else(|| matrix.flags.get(&specific))
            .or_else(|| matrix.flags.get(flag));
        for key in keys.into_iter().flatten() {
            out.push(key.replace("{signer}", signer));
        }
    }
    out
}

/// Builds every row's cells: targets from the CDDL, covers from the
/// vectors and the data file. Errors name what the data file gets wrong
/// (an unknown cell, reason or file); a cell without cover is
/// [`Cover::Missing`], for the caller to count.
pub fn build(matrix: &MatrixFile) -> Result<Vec<RowCells>, String> {
    let cddl_path = spec_dir().join("messages.cddl");
    let text = std::fs::read_to_string(&cddl_path).map_err(|e| format!("{}: {e}", cddl_path.display()))?;
    let rules = cddl::rules(&text)?;
    let mut out = Vec::new();
    for row in &matrix.rows {
        let what = format!("{} {} at {:?}", row.role, row.message, row.endpoint);
        let targets = targets::targets(&rules, &row.message, &row.bounds).map_err(|e| format!("{what}: {e}"))?;
        let file = read_vectors(&row.file)?;
        let tests = row_tests(row, &matrix.rows, &file);
        let mut by_cell: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for test in &tests {
            for key in covered_by(matrix, row, test) {
                by_cell.entry(key).or_default().push(test.tc_id);
            }
        }
        for key in by_cell.keys().chain(row.cells.keys()) {
            if !targets.iter().any(|t| t.key == *key) {
                return Err(format!("{what}: cell {key} is not one of the message's targets"));
            }
        }
        let mut cells = Vec::new();
        for target in targets {
            let entry = row.cells.get(&target.key);
            let cover = match (by_cell.remove(&target.key), entry) {
                (Some(_), Some(entry)) if entry.gap.is_some() || entry.reason.is_some() || !entry.checks.is_empty() => {
                    return Err(format!("{what}: {} has vectors yet lists checks, a gap or a reason", target.key));
                }
                (Some(ids), _) => Cover::Vectors(ids),
                (None, Some(entry)) if entry.checks.is_empty() && entry.reason.is_none() && entry.gap.is_none() => {
                    return Err(format!("{what}: {} lists only `unshown`, yet has no vectors", target.key));
                }
                (None, Some(entry)) => entry_cover(matrix, &what, &target, entry)?,
                (None, None) => Cover::Missing,
            };
            cells.push(Cell { target, cover });
        }
        out.push(RowCells { row: row.clone(), cells, tests });
    }
    check_covered_by(&out)?;
    Ok(out)
}

fn entry_cover(matrix: &MatrixFile, what: &str, target: &Target, entry: &CellEntry) -> Result<Cover, String> {
    match (&entry.checks[..], &entry.reason, &entry.gap) {
        ([], None, Some(gap)) => Ok(Cover::Gap(gap.clone())),
        ([], Some(reason), None) => {
            if !matrix.reasons.contains_key(reason) {
                return Err(format!("{what}: {}: reason {reason} is not in the closed list", target.key));
            }
            let detail = entry.detail.clone().ok_or(format!("{what}: {}: a reason needs its detail", target.key))?;
            Ok(Cover::Reason(reason.clone(), detail))
        }
        (checks, None, None) if !checks.is_empty() => {
            let known: Vec<String> = crate::checks::all().into_iter().map(|c| c.id).collect();
            if let Some(unknown) = checks.iter().find(|c| !known.contains(c)) {
                return Err(format!("{what}: {}: no check {unknown}", target.key));
            }
            Ok(Cover::Checks(checks.to_vec(), entry.mutant.clone()))
        }
        _ => Err(format!("{what}: {}: give exactly one of checks, reason or gap", target.key)),
    }
}

/// A `covered-by` reason must name a cell of the same class that is
/// covered by vectors or checks.
fn check_covered_by(rows: &[RowCells]) -> Result<(), String> {
    let covered = |key: &str| {
        rows.iter().flat_map(|r| r.cells.iter().map(move |c| (r, c))).any(|(r, c)| {
            format!("{} {} {}", r.row.role, r.row.message, c.target.key) == key
                && matches!(c.cover, Cover::Vectors(_) | Cover::Checks(..))
        })
    };
    for row in rows {
        for cell in &row.cells {
            if let Cover::Reason(reason, detail) = &cell.cover {
                if reason == "covered-by" && !covered(detail) {
                    return Err(format!(
                        "{} {} {}: covered-by names {detail:?}, which is not a covered cell (\"role Message class/…\")",
                        row.row.role, row.row.message, cell.target.key
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The covered cells not shown failing on a mutant that the data file does
/// not list as `unshown`, and the `unshown` entries whose cell now has
/// evidence: both must be empty.
pub fn unshown_drift(
    rows: &[RowCells],
    evidence: &BTreeMap<(usize, String), evidence::Evidence>,
) -> (Vec<String>, Vec<String>) {
    let mut unlisted = Vec::new();
    let mut stale = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        for cell in &row.cells {
            let listed = row.row.cells.get(&cell.target.key).and_then(|e| e.unshown.as_ref()).is_some();
            let name = format!("{} {} {}", row.row.role, row.row.message, cell.target.key);
            match evidence.get(&(index, cell.target.key.clone())) {
                Some(Err(why)) if !listed => unlisted.push(format!("{name}: {why}")),
                Some(Ok(mutation)) if listed => stale.push(format!("{name}: now fails on {}", mutation.name())),
                _ => {}
            }
        }
    }
    (unlisted, stale)
}

/// Counts over all rows: cells, and how many are covered by vectors, by
/// checks, by a reason, known gaps and missing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// All cells.
    pub cells: usize,
    /// Covered by fixed vectors.
    pub vectors: usize,
    /// Covered by checks.
    pub checks: usize,
    /// Given a reason.
    pub reasons: usize,
    /// Known gaps.
    pub gaps: usize,
    /// Neither (the matrix test fails).
    pub missing: usize,
}

/// The counts of `rows`, optionally of one class only.
pub fn counts(rows: &[RowCells], class: Option<Class>) -> Counts {
    let mut c = Counts::default();
    for cell in rows.iter().flat_map(|r| &r.cells).filter(|cell| class.is_none_or(|k| cell.target.class == k)) {
        c.cells += 1;
        match cell.cover {
            Cover::Vectors(_) => c.vectors += 1,
            Cover::Checks(..) => c.checks += 1,
            Cover::Reason(..) => c.reasons += 1,
            Cover::Gap(_) => c.gaps += 1,
            Cover::Missing => c.missing += 1,
        }
    }
    c
}
