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

/// A duration in milliseconds, to the microsecond.
fn millis(duration: std::time::Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}

/// The fields that say how a run was timed: two reports of one seed and
/// selection, whatever the number of threads, differ in these alone.
pub const TIMING_FIELDS: [&str; 2] = ["timing", "duration_ms"];

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
                "duration_ms": millis(run.elapsed),
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
        "crypto_provider": jpki_reference::crypto::default_provider().name(),
        "timing": { "threads": summary.timing.threads.max(1), "wall_ms": millis(summary.timing.wall) },
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
