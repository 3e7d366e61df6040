//! The JSON report.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{RunSummary, SPEC_VERSION, SUITE_VERSION};
use crate::checks::Role;
use crate::runner::{Outcome, tally};

fn outcome_fields(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Pass => json!({ "outcome": "pass" }),
        Outcome::Fail { expected, actual } => json!({ "outcome": "fail", "expected": expected, "actual": actual }),
        Outcome::Skipped(reason) => json!({ "outcome": "skipped", "reason": reason }),
        Outcome::Unimplemented(reason) => json!({ "outcome": "unimplemented", "reason": reason }),
        Outcome::Waived { reason, underlying } => {
            json!({ "outcome": "waived", "reason": reason, "underlying": underlying.name() })
        }
    }
}

fn counts(values: [usize; 5]) -> Value {
    json!({ "pass": values[0], "fail": values[1], "skipped": values[2], "unimplemented": values[3], "waived": values[4] })
}

/// The verdict per requirement: `fail` if any check covering it failed,
/// else `pass` if one passed, else the outcome the checks share.
pub fn requirement_verdicts(summary: &RunSummary<'_>) -> BTreeMap<String, &'static str> {
    let mut verdicts: BTreeMap<String, &'static str> = BTreeMap::new();
    for run in summary.runs {
        for requirement in &run.check.requirements {
            let current = verdicts.entry(requirement.clone()).or_insert(run.outcome.name());
            let rank = |v: &str| match v {
                "fail" => 4,
                "pass" => 3,
                "waived" => 2,
                "unimplemented" => 1,
                _ => 0,
            };
            if rank(run.outcome.name()) > rank(current) {
                *current = run.outcome.name();
            }
        }
    }
    verdicts
}

/// The report as a JSON value.
pub fn report(summary: &RunSummary<'_>) -> Value {
    let checks: Vec<Value> = summary
        .runs
        .iter()
        .map(|run| {
            let mut entry = json!({
                "id": run.check.id,
                "title": run.check.title,
                "role": run.check.role.name(),
                "kind": run.check.kind.name(),
                "requirements": run.check.requirements,
                "features": run.check.features.iter().map(|f| f.name()).collect::<Vec<_>>(),
                "seed": hex::encode(run.seed),
            });
            if let (Value::Object(entry), Value::Object(fields)) = (&mut entry, outcome_fields(&run.outcome)) {
                entry.extend(fields);
            }
            entry
        })
        .collect();
    let by_role: serde_json::Map<String, Value> = Role::ALL
        .iter()
        .map(|role| (role.name().to_owned(), counts(tally(summary.runs.iter().filter(|r| r.check.role == *role)))))
        .collect();
    json!({
        "schema": "jpki-conformance-report/1",
        "suite": "jpki-conformance",
        "suite_version": SUITE_VERSION,
        "spec_version": SPEC_VERSION,
        "sut": {
            "name": summary.sut.name(),
            "identity": summary.sut_identity(),
            "absent_features": summary.capabilities.absent.iter().map(|f| f.name()).collect::<Vec<_>>(),
        },
        "seed": hex::encode(summary.seed),
        "vector_digest": crate::vector_digest::project_digest(),
        "summary": { "total": summary.runs.len(), "counts": counts(tally(summary.runs)), "by_role": by_role },
        "requirements": requirement_verdicts(summary),
        "checks": checks,
    })
}
