//! Shows each covered cell failing on a mutant: a cell whose vectors or
//! checks no mutant makes fail proves nothing about a SUT. For a vector
//! cell, the mutants whose requirement the cell's tests name are tried
//! first, then every other; the first whose run of the cell's tests fails
//! on a requirement those tests name is the cell's evidence. A check cell
//! names its mutant in the data file, and the run of its checks on that
//! mutant must fail on the mutant's requirement (as `jpki-conformance
//! mutants` counts a catch).

use std::collections::{BTreeMap, BTreeSet};

use jpki_reference::mutants::Mutation;

use super::{Cover, RowCells};
use crate::checks::context::{self, Sut};
use crate::runner::{self, RunConfig};
use crate::vectors::format::VectorFile;
use crate::vectors::judge;

/// What showed a cell failing: the mutant, or why none did.
pub type Evidence = Result<Mutation, String>;

/// The evidence for every covered cell, by (row index, cell key).
pub fn gather(rows: &[RowCells]) -> BTreeMap<(usize, String), Evidence> {
    let mut out = BTreeMap::new();
    let mut files: BTreeMap<String, VectorFile> = BTreeMap::new();
    for (index, row) in rows.iter().enumerate() {
        for cell in &row.cells {
            let evidence = match &cell.cover {
                Cover::Vectors(ids) => {
                    if !files.contains_key(&row.row.file) {
                        match read(&row.row.file) {
                            Ok(file) => files.insert(row.row.file.clone(), file),
                            Err(e) => {
                                out.insert((index, cell.target.key.clone()), Err(e));
                                continue;
                            }
                        };
                    }
                    vector_evidence(&files[&row.row.file], ids)
                }
                Cover::Checks(checks, mutant) => check_evidence(checks, mutant.as_deref()),
                _ => continue,
            };
            out.insert((index, cell.target.key.clone()), evidence);
        }
    }
    context::enter(Sut::Reference, [0; 32]);
    out
}

fn read(name: &str) -> Result<VectorFile, String> {
    let path = crate::external::project_vectors_dir().join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The first mutant that fails one of the tests `ids` of `file` on a
/// requirement those tests name.
fn vector_evidence(file: &VectorFile, ids: &[usize]) -> Evidence {
    let tests: Vec<_> = file
        .test_groups
        .iter()
        .flat_map(|g| g.tests.iter().map(move |t| (g, t)))
        .filter(|(_, t)| ids.contains(&t.tc_id))
        .collect();
    let named: BTreeSet<String> = tests.iter().filter_map(|(_, t)| judge::test_requirement(file, t)).collect();
    let (first, rest): (Vec<Mutation>, Vec<Mutation>) =
        Mutation::ALL.into_iter().partition(|m| named.contains(m.requirement()));
    for mutation in first.into_iter().chain(rest) {
        context::enter(Sut::Mutant(mutation), [0; 32]);
        for (group, test) in &tests {
            // a judge of the suite's may fail the step itself (a panic with a Failure)
            let failed_on = match runner::quietly(|| judge::judge_test(file, group, test)) {
                Ok(Ok(())) => None,
                Ok(Err(mismatch)) => mismatch.requirement,
                Err(payload) => payload.downcast_ref::<context::Failure>().and_then(|f| f.requirement.clone()),
            };
            if failed_on.is_some_and(|r| named.contains(&r)) {
                return Ok(mutation);
            }
        }
    }
    Err(format!("no mutant fails tcIds {ids:?} on {named:?}"))
}

/// Runs `checks` on `mutant`; evidence when one fails on its requirement.
fn check_evidence(checks: &[String], mutant: Option<&str>) -> Evidence {
    let name = mutant.ok_or("a check cell names the mutant it fails on")?;
    let mutation = Mutation::from_name(name).ok_or(format!("no mutant {name}"))?;
    let selected: Vec<_> = crate::checks::all().into_iter().filter(|c| checks.contains(&c.id)).collect();
    let config = RunConfig { sut: Sut::Mutant(mutation), jobs: 1, ..RunConfig::default() };
    let runs = runner::run(&selected, &config, &mut |_, _, _| {});
    if runner::catchers(&runs, mutation).is_empty() {
        Err(format!("{checks:?} do not fail on {name} ({})", mutation.requirement()))
    } else {
        Ok(mutation)
    }
}
