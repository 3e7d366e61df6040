//! The JSON report.

use serde_json::{Value, json};

use super::{RunSummary, SPEC_VERSION, SUITE_VERSION};
use crate::checks::Target;
use crate::runner::{Outcome, Tally, tally};
use crate::verdict::requirement_verdicts;

fn outcome_fields(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Pass => json!({ "outcome": "pass" }),
        Outcome::Fail { requirement, expected, actual } => {
            json!({ "outcome": "fail", "failed_requirement": requirement, "expected": expected, "actual": actual })
        }
        Outcome::Skipped(reason) => json!({ "outcome": "skipped", "reason": reason }),
        Outcome::Unimplemented(reason) => json!({ "outcome": "unimplemented", "reason": reason }),
        Outcome::Waived { reason, underlying } => {
            json!({ "outcome": "waived", "reason": reason, "underlying": underlying.name() })
        }
    }
}

fn counts(values: Tally) -> Value {
    json!({
        "pass": values.pass,
        "fail": values.fail,
        "skipped": values.skipped,
        "unimplemented": values.unimplemented,
        "waived": values.waived,
    })
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
                "role": run.check.target.name(),
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
    let by_role: serde_json::Map<String, Value> = Target::ALL
        .iter()
        .map(|target| {
            (target.name().to_owned(), counts(tally(summary.runs.iter().filter(|r| r.check.target == *target))))
        })
        .collect();
    let certification = summary.certification();
    json!({
        "schema": "jpki-conformance-report/1",
        "suite": "jpki-conformance",
        "suite_version": SUITE_VERSION,
        "spec_version": SPEC_VERSION,
        "verdict": {
            "certified": certification.certified,
            "headline": certification.headline(),
            "roles": certification.roles.iter().map(|r| r.name()).collect::<Vec<_>>(),
            "features": certification.features.iter().map(|f| f.name()).collect::<Vec<_>>(),
            "reasons": certification.reasons,
        },
        "sut": {
            "name": summary.sut.name(),
            "identity": summary.sut_identity(),
            "roles": summary.profile.roles.iter().map(|r| r.name()).collect::<Vec<_>>(),
            "absent_features": summary.capabilities.absent.iter().map(|f| f.name()).collect::<Vec<_>>(),
        },
        "seed": hex::encode(summary.seed),
        "vector_digest": crate::vector_digest::project_digest(),
        "summary": { "total": summary.runs.len(), "counts": counts(tally(summary.runs)), "by_role": by_role },
        "requirements": requirement_verdicts(summary.runs),
        "checks": checks,
    })
}
