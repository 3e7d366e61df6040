//! The spec and the code agree: every requirement id in `spec/` is cited by
//! a test or check (or marked untestable), no test cites an id the spec
//! lacks, the error registry in `spec/errors.md` is exactly `Code::ALL`,
//! and the constants table states the values in `constants.rs`.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use jpki_reference::Code;
use jpki_reference::constants;
use jpki_reference::error::Category;
use regex::Regex;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Files with `extension` in `dir` and, recursively, its subfolders.
fn files_with_extension(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_with_extension(&path, extension));
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Requirement id → whether it is marked untestable.
fn spec_requirements() -> BTreeMap<String, bool> {
    let line = Regex::new(r"^- \*\*([A-Z]+-[0-9]{3})\*\*").unwrap();
    let mut ids = BTreeMap::new();
    for path in files_with_extension(&root().join("spec"), "md") {
        for text in read(&path).lines() {
            if let Some(caps) = line.captures(text) {
                let id = caps[1].to_owned();
                let untestable = text.contains("*Untestable:*");
                assert!(ids.insert(id.clone(), untestable).is_none(), "{id} is defined twice in spec/");
            }
        }
    }
    assert!(!ids.is_empty(), "no requirement lines found in spec/");
    ids
}

/// Requirement ids cited by tests and conformance checks, with where.
fn cited_ids() -> BTreeMap<String, Vec<String>> {
    let id =
        Regex::new(r"\b(ENC|COSE|CRY|KEY|PKI|ISS|USE|STA|PIN|NON|MIG|REV|SUS|NTF|WIP|INV|DEV|HTTP|STL|QUA)-[0-9]{3}\b")
            .unwrap();
    let mut cited: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let dirs = [
        root().join("reference/tests"),
        root().join("conformance/tests"),
        root().join("conformance/src"),
        root().join("conformance/schema-checks/tests"),
    ];
    for dir in dirs {
        for path in files_with_extension(&dir, "rs") {
            if path.ends_with("spec_ids.rs") {
                continue;
            }
            for found in id.find_iter(&read(&path)) {
                cited.entry(found.as_str().to_owned()).or_default().push(path.display().to_string());
            }
        }
    }
    cited
}

#[test]
fn every_requirement_is_cited_by_a_test_or_marked_untestable() {
    let spec = spec_requirements();
    let cited = cited_ids();
    let uncovered: Vec<&String> =
        spec.iter().filter(|(id, untestable)| !**untestable && !cited.contains_key(*id)).map(|(id, _)| id).collect();
    assert!(uncovered.is_empty(), "requirements no test cites: {uncovered:?}");
}

#[test]
fn no_test_cites_an_id_the_spec_lacks() {
    let spec = spec_requirements();
    let cited = cited_ids();
    let unknown: Vec<(&String, &Vec<String>)> = cited.iter().filter(|(id, _)| !spec.contains_key(*id)).collect();
    assert!(unknown.is_empty(), "ids cited but not in spec/: {unknown:?}");
}

#[test]
fn every_error_code_names_a_spec_requirement() {
    let spec = spec_requirements();
    for code in Code::ALL {
        assert!(spec.contains_key(code.requirement()), "{code} names {} which spec/ lacks", code.requirement());
        assert_eq!(Code::from_wire(code.as_str()), Some(*code));
    }
}

#[test]
fn spec_registry_matches_code() {
    let row = Regex::new(r"^\| `([a-z0-9_]+)` \| ([A-Z]+-[0-9]{3}) \| ([a-z]+) \|").unwrap();
    let table: Vec<(String, String, String)> = read(&root().join("spec/errors.md"))
        .lines()
        .filter_map(|line| row.captures(line).map(|c| (c[1].to_owned(), c[2].to_owned(), c[3].to_owned())))
        .collect();
    let category = |c: Category| format!("{c:?}").to_lowercase();
    let code: Vec<(String, String, String)> =
        Code::ALL.iter().map(|c| (c.as_str().to_owned(), c.requirement().to_owned(), category(c.category()))).collect();
    assert_eq!(table, code, "spec/errors.md and error.rs disagree (order, code, requirement or category)");
    let unique: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(unique.len(), Code::ALL.len(), "a code is spelled twice");
}

#[test]
fn constants_table_matches_code() {
    let row = Regex::new(r"^\| `([A-Z_]+)` \| ([0-9]+) \|").unwrap();
    let table: BTreeMap<String, u64> = read(&root().join("spec/protocol.md"))
        .lines()
        .filter_map(|line| row.captures(line).map(|c| (c[1].to_owned(), c[2].parse().unwrap())))
        .collect();
    // Read constants.rs itself, so a constant added there and not to the spec fails here.
    let definition = Regex::new(r"pub const ([A-Z_]+): [a-z0-9]+ = ([0-9_]+);").unwrap();
    let code: BTreeMap<String, u64> = definition
        .captures_iter(&read(&root().join("reference/src/constants.rs")))
        .map(|c| (c[1].to_owned(), c[2].replace('_', "").parse().unwrap()))
        .collect();
    assert_eq!(code.get("MAX_DEPTH"), Some(&(constants::MAX_DEPTH as u64)));
    assert_eq!(table, code, "spec/protocol.md's constants table and constants.rs disagree");
}
