//! The HTML certification report: one self-contained file (no scripts, no
//! external resources) with the suite and spec versions, the vector-set
//! digest, the SUT's identity and capability statement, every requirement
//! with its verdict and the checks behind it, and each failure with expected,
//! actual and a one-line replay command.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{RunSummary, SPEC_VERSION, SUITE_VERSION};
use crate::checks::Target;
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
    let certification = summary.certification();
    let _ = writeln!(
        html,
        "<p id=\"verdict\" class=\"{}\"><strong>{}</strong></p>",
        if certification.certified { "pass" } else { "fail" },
        escape(&certification.headline())
    );
    let _ = writeln!(html, "<table><tbody>");
    let absent: Vec<&str> = summary.capabilities.absent.iter().map(|f| f.name()).collect();
    for (label, value) in [
        ("Suite version", SUITE_VERSION.to_owned()),
        ("Spec version", SPEC_VERSION.to_owned()),
        ("Vector-set digest (SHA-256)", vector_digest.to_owned()),
        ("System under test", summary.sut_identity()),
        ("Capability statement: absent features", if absent.is_empty() { "none".into() } else { absent.join(", ") }),
        ("Run seed", hex::encode(summary.seed)),
        ("Roles the SUT plays", summary.profile.roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(", ")),
        ("Checks", format!("{} run: {}", summary.runs.len(), counts.line())),
    ] {
        let _ = writeln!(html, "<tr><th>{label}</th><td><code>{}</code></td></tr>", escape(&value));
    }
    html.push_str("</tbody></table>\n");

    // requirements: verdict and the checks behind each
    let mut behind: BTreeMap<&str, Vec<&CheckRun>> = BTreeMap::new();
    for run in summary.runs.iter().filter(|r| r.check.target != Target::Suite) {
        for requirement in &run.check.requirements {
            behind.entry(requirement.as_str()).or_default().push(run);
        }
    }
    let verdicts = crate::verdict::requirement_verdicts(summary.runs);
    let _ = writeln!(html, "<h2 id=\"requirements\">Requirements</h2>");
    html.push_str("<table id=\"requirement-table\"><thead><tr><th>Requirement</th><th>Verdict</th><th>Checks</th><th>Text</th></tr></thead><tbody>\n");
    for requirement in spec_index::requirements() {
        let verdict = verdicts.get(&requirement.id).copied().unwrap_or("not-tested");
        let class = match verdict {
            "not-tested" | "untestable" | "suite" => "uncovered",
            other => other,
        };
        let verdict = match crate::verdict::suite_played(&requirement.id) {
            Some(what) => format!("not the SUT's: {what}"),
            None => verdict.to_owned(),
        };
        let checks: Vec<String> = behind
            .get(requirement.id.as_str())
            .map(|runs| runs.iter().map(|r| format!("{} ({})", r.check.id, r.outcome.name())).collect())
            .unwrap_or_default();
        let _ = writeln!(
            html,
            "<tr class=\"{class}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&requirement.id),
            escape(&verdict),
            escape(&checks.join(", ")),
            escape(&requirement.text)
        );
    }
    html.push_str("</tbody></table>\n");

    let failures: Vec<&CheckRun> = summary.runs.iter().filter(|r| matches!(r.outcome, Outcome::Fail { .. })).collect();
    let _ = writeln!(html, "<h2 id=\"failures\">Failures ({})</h2>", failures.len());
    if !failures.is_empty() {
        html.push_str("<table><thead><tr><th>Check</th><th>Failed requirement</th><th>Expected</th><th>Actual</th><th>Replay</th></tr></thead><tbody>\n");
        for run in failures {
            if let Outcome::Fail { requirement, expected, actual } = &run.outcome {
                let replay = summary.replay_command(&run.check.id);
                let _ = writeln!(
                    html,
                    "<tr class=\"fail\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                    escape(&run.check.id),
                    escape(requirement.as_deref().unwrap_or("none (set-up)")),
                    escape(expected),
                    escape(actual),
                    escape(&replay)
                );
            }
        }
        html.push_str("</tbody></table>\n");
    }
    let waived: Vec<&CheckRun> = summary.runs.iter().filter(|r| matches!(r.outcome, Outcome::Waived { .. })).collect();
    if !waived.is_empty() {
        let _ = writeln!(html, "<h2 id=\"waived\">Waived ({})</h2><ul>", waived.len());
        for run in waived {
            if let Outcome::Waived { reason, underlying } = &run.outcome {
                let _ = writeln!(
                    html,
                    "<li class=\"waived\"><code>{}</code>: {} (waived: {})</li>",
                    escape(&run.check.id),
                    underlying.name(),
                    escape(reason)
                );
            }
        }
        html.push_str("</ul>\n");
    }
    let _ = writeln!(
        html,
        "<h2 id=\"checks\">Every check</h2><p>Checks of the <code>suite</code> role are the suite's self-tests: they never drive the SUT and never count toward its verdict.</p>"
    );
    html.push_str(
        "<table><thead><tr><th>Check</th><th>Role</th><th>Kind</th><th>Outcome</th><th>Seed</th></tr></thead><tbody>\n",
    );
    for run in summary.runs {
        let _ = writeln!(
            html,
            "<tr class=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            run.outcome.name(),
            escape(&run.check.id),
            run.check.target.name(),
            run.check.kind.name(),
            run.outcome.name(),
            hex::encode(run.seed)
        );
    }
    html.push_str("</tbody></table>\n</body></html>\n");
    html
}
