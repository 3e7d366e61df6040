//! Which checks and vectors enforce each numbered requirement, read from
//! what they declare (each check's requirement list in the registry, each
//! vector test's notes and expected code), never from source text.
//!
//! Every requirement must land in one of three places: on a role the suite
//! itself plays (the Card, the test PKI, the status-list reader) and
//! enforced by one of the suite's self-tests; otherwise enforced by a check
//! that drives the SUT; or marked untestable in the spec with its reason (a
//! marker a check contradicts is a gap). Anything else is a gap, and
//! `jpki-conformance coverage` fails on it. Beside them it lists the tests
//! outside the runner declared in [`crate::unit_tests`] (they do not change a
//! standing: a test of the reference judges no one else's product).

use std::collections::{BTreeMap, BTreeSet};

use crate::checks::{Check, Target};
use crate::spec_index::{self, Requirement};
use crate::vectors::VectorFile;
use crate::verdict::suite_played;

/// Where a requirement stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// Enforced by at least one check that drives the SUT.
    Checked,
    /// A rule of what the suite plays, enforced by a self-test.
    SelfTested,
    /// Marked untestable in the spec, with its reason.
    Untestable,
    /// None of these: a gap.
    Uncovered,
}

impl Standing {
    /// Its name in reports (`checked`, `self-tested`, `untestable`, `uncovered`).
    pub fn name(self) -> &'static str {
        match self {
            Standing::Checked => "checked",
            Standing::SelfTested => "self-tested",
            Standing::Untestable => "untestable",
            Standing::Uncovered => "uncovered",
        }
    }
}

/// One requirement and what enforces it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Covered {
    /// The requirement.
    pub requirement: Requirement,
    /// The SUT-driving checks that declare it, by id.
    pub checks: Vec<String>,
    /// The suite's self-tests that declare it, by id.
    pub self_tests: Vec<String>,
    /// The vector tests that enforce it: file name → how many tests.
    pub vectors: BTreeMap<String, usize>,
    /// The declared tests outside the runner that test it ([`crate::unit_tests`]), as `file::name`.
    pub unit_tests: Vec<String>,
    /// Where it stands.
    pub standing: Standing,
}

/// What each vector test of the committed files enforces: requirement →
/// file → number of tests. A test enforces the requirement of the code it
/// expects and those of the notes its flags name.
pub fn vector_requirements() -> Result<BTreeMap<String, BTreeMap<String, usize>>, String> {
    let mut out: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let dir = crate::external::project_vectors_dir();
    for name in crate::checks::VECTOR_FILES {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: VectorFile = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for test in file.test_groups.iter().flat_map(|g| &g.tests) {
            let mut ids: BTreeSet<String> = test
                .flags
                .iter()
                .filter_map(|flag| file.notes.get(flag))
                .flat_map(|note| note.requirements.iter().cloned())
                .collect();
            ids.extend(crate::vectors::judge::test_requirement(&file, test));
            for id in ids {
                *out.entry(id).or_default().entry(name.to_owned()).or_default() += 1;
            }
        }
    }
    for table in ["codec/strict-decoder.json", "codec/status-list.json"] {
        let path = dir.join(table);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for entry in value["entries"].as_array().into_iter().flatten() {
            if let Some(id) = entry["requirement"].as_str() {
                *out.entry(id.to_owned()).or_default().entry(table.to_owned()).or_default() += 1;
            }
        }
    }
    Ok(out)
}

/// Every requirement of the spec, in spec order, with what enforces it.
pub fn coverage(
    requirements: &[Requirement],
    checks: &[Check],
    vectors: &BTreeMap<String, BTreeMap<String, usize>>,
) -> Vec<Covered> {
    requirements
        .iter()
        .map(|requirement| {
            let declaring = |suite: bool| -> Vec<String> {
                checks
                    .iter()
                    .filter(|c| (c.target == Target::Suite) == suite && c.requirements.contains(&requirement.id))
                    .map(|c| c.id.clone())
                    .collect()
            };
            let (checks, self_tests) = (declaring(false), declaring(true));
            // a rule of what the suite plays is the suite's to keep: only a
            // self-test enforces it, whatever SUT-driving checks pass through it
            let standing = if suite_played(&requirement.id).is_some() {
                if self_tests.is_empty() { Standing::Uncovered } else { Standing::SelfTested }
            } else if !checks.is_empty() {
                Standing::Checked
            } else if requirement.untestable {
                Standing::Untestable
            } else {
                Standing::Uncovered
            };
            Covered {
                requirement: requirement.clone(),
                checks,
                self_tests,
                vectors: vectors.get(&requirement.id).cloned().unwrap_or_default(),
                unit_tests: crate::unit_tests::ALL
                    .iter()
                    .filter(|t| t.requirements.contains(&requirement.id.as_str()))
                    .map(|t| t.label())
                    .collect(),
                standing,
            }
        })
        .collect()
}

/// What makes the coverage fail: requirements in no category, and ids a
/// check or vector declares that the spec lacks.
pub fn gaps(covered: &[Covered], checks: &[Check], vectors: &BTreeMap<String, BTreeMap<String, usize>>) -> Vec<String> {
    let mut out: Vec<String> = covered
        .iter()
        .filter(|c| c.standing == Standing::Uncovered)
        .map(|c| {
            let played = suite_played(&c.requirement.id)
                .map(|who| format!(" ({who}: it needs a self-test)"))
                .unwrap_or_default();
            format!("{} ({}) is enforced by no check{played}", c.requirement.id, c.requirement.file)
        })
        .collect();
    // a marker gone stale: a check now enforces what the spec calls untestable
    for c in covered.iter().filter(|c| c.requirement.untestable && !c.checks.is_empty()) {
        out.push(format!(
            "{} ({}) is marked untestable but {} declare it: drop the marker",
            c.requirement.id,
            c.requirement.file,
            c.checks.join(", ")
        ));
    }
    let known: BTreeSet<&str> = covered.iter().map(|c| c.requirement.id.as_str()).collect();
    for check in checks {
        for id in check.requirements.iter().filter(|id| !known.contains(id.as_str())) {
            out.push(format!("check {} declares {id}, which the spec lacks", check.id));
        }
    }
    for test in crate::unit_tests::ALL {
        for id in test.requirements.iter().filter(|id| !known.contains(**id)) {
            out.push(format!("the test {} declares {id}, which the spec lacks", test.label()));
        }
    }
    for (id, files) in vectors.iter().filter(|(id, _)| !known.contains(id.as_str())) {
        let names: Vec<&String> = files.keys().collect();
        out.push(format!("vectors {names:?} declare {id}, which the spec lacks"));
    }
    out
}

/// The whole picture from the built-in registry and the committed vectors.
pub fn of_the_suite() -> Result<(Vec<Covered>, Vec<String>), String> {
    let checks = crate::checks::all();
    let vectors = vector_requirements()?;
    let covered = coverage(&spec_index::requirements(), &checks, &vectors);
    let gaps = gaps(&covered, &checks, &vectors);
    Ok((covered, gaps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requirement_whose_only_check_is_gone_is_a_gap() {
        let checks = crate::checks::all();
        let vectors = vector_requirements().unwrap();
        let requirements = spec_index::requirements();
        let covered = coverage(&requirements, &checks, &vectors);
        assert_eq!(gaps(&covered, &checks, &vectors), Vec::<String>::new());
        // a requirement one SUT-driving check alone enforces
        let lonely = covered.iter().find(|c| c.checks.len() == 1 && suite_played(&c.requirement.id).is_none()).unwrap();
        let without: Vec<Check> = checks.iter().filter(|c| c.id != lonely.checks[0]).cloned().collect();
        let after = coverage(&requirements, &without, &vectors);
        let found = gaps(&after, &without, &vectors);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with(&format!("{} ", lonely.requirement.id)), "{found:?}");
    }

    #[test]
    fn an_id_the_spec_lacks_is_a_gap() {
        let mut checks = crate::checks::all();
        let unknown = format!("ISS-{}", 990 + 9); // spelled out, the spec's id test would read it as cited
        checks[0].requirements.push(unknown.clone());
        let vectors = BTreeMap::new();
        let covered = coverage(&spec_index::requirements(), &checks, &vectors);
        let found = gaps(&covered, &checks, &vectors);
        assert!(found.iter().any(|g| g.contains(&unknown)), "{found:?}");
    }
}
