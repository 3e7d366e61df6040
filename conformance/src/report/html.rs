//! The HTML certification report: one self-contained file (no scripts, no
//! external resources) with the suite and spec versions, the vector-set
//! digest, the SUT's identity and capability statement, every requirement
//! with its verdict and the checks behind it, and each failure with expected,
//! actual and a one-line replay command.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{RunSummary, SPEC_VERSION, SUITE_VERSION};
use crate::runner::{CheckRun, Outcome, tally};
use crate::spec_index;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;width:100%;margin:1em 0}\
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}\
th{background:#f0f0f0}.pass{background:#e5f5e5}.fail{background:#fbe3e3}\
.skipped,.unimplemented,.waived{background:#fdf6dc}.uncovered{background:#eee;color:#666}\
code{font-size:13px}h1{font-size:22px}h2{font-size:18px;margin-top:1.5em}";

/// The report as HTML text.
pub fn report(summary: &RunSummary<'_>, vector_digest: &str) -> String {
    let mut html = String::new();
    let counts = tally(summary.runs);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>jpki-conformance report</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = writeln!(html, "<h1>jpki-mobile conformance report</h1>");
    let _ = writeln!(html, "<table><tbody>");
    let absent: Vec<&str> = summary.capabilities.absent.iter().map(|f| f.name()).collect();
    for (label, value) in [
        ("Suite version", SUITE_VERSION.to_owned()),
        ("Spec version", SPEC_VERSION.to_owned()),
        ("Vector-set digest (SHA-256)", vector_digest.to_owned()),
        ("System under test", summary.sut_identity()),
        ("Capability statement: absent features", if absent.is_empty() { "none".into() } else { absent.join(", ") }),
        ("Run seed", hex::encode(summary.seed)),
        (
            "Checks",
            format!(
                "{} run: {} pass, {} fail, {} skipped, {} unimplemented, {} waived",
                summary.runs.len(),
                counts[0],
                counts[1],
                counts[2],
                counts[3],
                counts[4]
            ),
        ),
    ] {
        let _ = writeln!(html, "<tr><th>{label}</th><td><code>{}</code></td></tr>", escape(&value));
    }
    html.push_str("</tbody></table>\n");

    // requirements: verdict and the checks behind each
    let mut behind: BTreeMap<&str, Vec<&CheckRun>> = BTreeMap::new();
    for run in summary.runs {
        for requirement in &run.check.requirements {
            behind.entry(requirement.as_str()).or_default().push(run);
        }
    }
    let verdicts = super::json::requirement_verdicts(summary);
    let _ = writeln!(html, "<h2 id=\"requirements\">Requirements</h2>");
    html.push_str("<table id=\"requirement-table\"><thead><tr><th>Requirement</th><th>Verdict</th><th>Checks</th><th>Text</th></tr></thead><tbody>\n");
    for requirement in spec_index::requirements() {
        let verdict = verdicts.get(&requirement.id).copied().unwrap_or(if requirement.untestable {
            "untestable"
        } else {
            "not covered"
        });
        let class = if verdicts.contains_key(&requirement.id) { verdict } else { "uncovered" };
        let checks: Vec<String> = behind
            .get(requirement.id.as_str())
            .map(|runs| runs.iter().map(|r| format!("{} ({})", r.check.id, r.outcome.name())).collect())
            .unwrap_or_default();
        let _ = writeln!(
            html,
            "<tr class=\"{class}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&requirement.id),
            escape(verdict),
            escape(&checks.join(", ")),
            escape(&requirement.text)
        );
    }
    html.push_str("</tbody></table>\n");

    let failures: Vec<&CheckRun> = summary.runs.iter().filter(|r| matches!(r.outcome, Outcome::Fail { .. })).collect();
    let _ = writeln!(html, "<h2 id=\"failures\">Failures ({})</h2>", failures.len());
    if !failures.is_empty() {
        html.push_str("<table><thead><tr><th>Check</th><th>Requirements</th><th>Expected</th><th>Actual</th><th>Replay</th></tr></thead><tbody>\n");
        for run in failures {
            if let Outcome::Fail { expected, actual } = &run.outcome {
                let replay = format!(
                    "jpki-conformance run --sut {} --seed {} --replay {}",
                    summary.sut.name(),
                    hex::encode(summary.seed),
                    run.check.id
                );
                let _ = writeln!(
                    html,
                    "<tr class=\"fail\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                    escape(&run.check.id),
                    escape(&run.check.requirements.join(" ")),
                    escape(expected),
                    escape(actual),
                    escape(&replay)
                );
            }
        }
        html.push_str("</tbody></table>\n");
    }
    let _ = writeln!(html, "<h2 id=\"checks\">Every check</h2>");
    html.push_str(
        "<table><thead><tr><th>Check</th><th>Role</th><th>Kind</th><th>Outcome</th><th>Seed</th></tr></thead><tbody>\n",
    );
    for run in summary.runs {
        let _ = writeln!(
            html,
            "<tr class=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            run.outcome.name(),
            escape(&run.check.id),
            run.check.role.name(),
            run.check.kind.name(),
            run.outcome.name(),
            hex::encode(run.seed)
        );
    }
    html.push_str("</tbody></table>\n</body></html>\n");
    html
}
