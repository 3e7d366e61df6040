//! The HTML certification report: one self-contained file (nothing fetched;
//! one small inline script for the table's filters; printable to PDF).
//!
//! It reads top down as a certifier does: the verdict (certified for which
//! roles and features, or not and why); a picture of the results per role
//! and per spec area; the failures, each with expected, actual and the
//! command that replays it; the requirement table (filter by area and
//! verdict); the state diagrams with each transition coloured by the verdict
//! of the requirements that rule it; then the run's particulars and every
//! check.

use crate::html_escape::escape;
use std::collections::BTreeMap;
use std::fmt::Write;

use super::{RunSummary, SPEC_VERSION, SUITE_VERSION};
use crate::checks::Target;
use crate::runner::{CheckRun, Outcome, tally};
use crate::spec_index;

/// A requirement verdict's colour class and the words a reader sees.
const VERDICTS: [(&str, &str); 8] = [
    ("fail", "fail"),
    ("waived", "waived"),
    ("unimplemented", "unimplemented"),
    ("skipped", "skipped"),
    ("not-tested", "not tested"),
    ("pass", "pass"),
    ("untestable", "untestable"),
    ("suite", "the suite's"),
];

/// The spec areas, by requirement-id prefix.
pub const AREAS: [(&str, &str); 20] = [
    ("ENC", "wire encoding"),
    ("COSE", "COSE"),
    ("CRY", "cryptography"),
    ("KEY", "keys"),
    ("PKI", "certificates"),
    ("ISS", "issuance"),
    ("PIN", "card PINs"),
    ("NON", "nonces"),
    ("USE", "use"),
    ("STA", "status"),
    ("STL", "status lists"),
    ("QUA", "qualification (mdoc)"),
    ("DEV", "wallet"),
    ("MIG", "migration"),
    ("REV", "revocation"),
    ("SUS", "suspension"),
    ("WIP", "wipe"),
    ("NTF", "notifications"),
    ("INV", "invariants"),
    ("HTTP", "HTTP binding"),
];

/// The area prefix of a requirement id (`USE` of `USE-006`).
pub fn area_of(id: &str) -> &str {
    id.split_once('-').map_or(id, |(prefix, _)| prefix)
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#1f2328;max-width:1200px}\
table{border-collapse:collapse;width:100%;margin:0.8em 0}\
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}\
th{background:#f6f8fa}code{font-size:13px}h1{font-size:22px}h2{font-size:18px;margin-top:1.6em}\
#verdict{padding:1em 1.2em;border-radius:8px;margin:1em 0;font-size:16px}\
#verdict.certified{background:#dafbe1;border:2px solid #1a7f37}\
#verdict.not-certified{background:#ffebe9;border:2px solid #cf222e}\
#verdict h2{margin:0 0 0.4em 0;font-size:22px}\
.pass{background:#e6f4ea}.fail{background:#ffebe9}.waived,.unimplemented,.skipped{background:#fff8c5}\
.not-tested{background:#f6f8fa}.untestable,.suite{background:#ffffff;color:#57606a}\
.bar{display:flex;height:16px;min-width:240px;border:1px solid #d0d7de}.bar span{display:block;height:100%}\
.bar .pass{background:#2da44e}.bar .fail{background:#cf222e}.bar .waived{background:#bf8700}\
.bar .unimplemented{background:#d4a72c}.bar .skipped{background:#eac54f}.bar .not-tested{background:#afb8c1}\
.bar .untestable{background:#d0d7de}.bar .suite{background:#8c959f}\
.legend span{display:inline-block;padding:1px 6px;margin-right:6px;border:1px solid #d0d7de;font-size:13px}\
.diagrams{display:flex;flex-wrap:wrap;gap:1.5em}.diagrams figure{margin:0;page-break-inside:avoid}\
.diagrams figcaption{font-size:13px;color:#57606a}\
.filters{margin:0.6em 0}.filters label{margin-right:1em}\
@media print{.filters{display:none}#requirement-table tr{display:table-row!important}body{margin:0}}";

/// The filters' script: hides the requirement rows outside the chosen area
/// and verdict, on each change and once at load (a page opened as
/// `report.html#filter=fail` or `#filter=not-tested,USE` starts filtered).
const FILTER_SCRIPT: &str = "(function(){var a=document.getElementById('filter-area'),v=document.getElementById('filter-verdict');\
function apply(){document.querySelectorAll('#requirement-table tbody tr').forEach(function(r){\
r.style.display=((a.value&&r.dataset.area!==a.value)||(v.value&&r.dataset.verdict!==v.value))?'none':'';});}\
var m=/^#filter=([a-z-]*)(?:,([A-Z]+))?$/.exec(location.hash);if(m){v.value=m[1];if(m[2]){a.value=m[2];}}\
a.addEventListener('change',apply);v.addEventListener('change',apply);apply();})();";

/// A stacked bar of `counts` (verdict class → count), widest first in [`VERDICTS`] order.
fn bar(counts: &BTreeMap<&str, usize>) -> String {
    let total: usize = counts.values().sum();
    let mut out = String::from("<div class=\"bar\">");
    for (class, words) in VERDICTS {
        let n = counts.get(class).copied().unwrap_or(0);
        if n > 0 && total > 0 {
            let _ = write!(
                out,
                "<span class=\"{class}\" style=\"width:{:.2}%\" title=\"{words}: {n}\"></span>",
                100.0 * n as f64 / total as f64
            );
        }
    }
    out.push_str("</div>");
    out
}

fn counts_cells(counts: &BTreeMap<&str, usize>, columns: &[&str]) -> String {
    columns.iter().map(|c| format!("<td>{}</td>", counts.get(c).copied().unwrap_or(0))).collect()
}

/// The class each transition of the state diagrams gets: the worst verdict
/// among the requirements it names that a SUT can be judged on (fail, then
/// waived or unimplemented, then not tested or skipped, then pass); `suite`
/// when every one is the suite's own or untestable.
fn transition_class(verdicts: &BTreeMap<String, &'static str>, requirements: &[&str]) -> &'static str {
    let rank = |verdict: &str| match verdict {
        "fail" => Some((4, "fail")),
        "waived" | "unimplemented" => Some((3, "waived")),
        "not-tested" | "skipped" => Some((2, "not-tested")),
        "pass" => Some((1, "pass")),
        _ => None, // the suite's own, or untestable: nothing of the SUT's
    };
    requirements
        .iter()
        .filter_map(|r| rank(verdicts.get(*r).copied().unwrap_or("not-tested")))
        .max()
        .map_or("suite", |(_, class)| class)
}

fn verdict_section(summary: &RunSummary<'_>, html: &mut String) {
    let certification = summary.certification();
    let (class, title) =
        if certification.certified { ("certified", "Certified") } else { ("not-certified", "Not certified") };
    let _ = writeln!(html, "<section id=\"verdict\" class=\"{class}\"><h2>{title}</h2>");
    let _ = writeln!(html, "<p><strong>{}</strong></p>", escape(&certification.headline()));
    if certification.certified {
        let roles: Vec<&str> = certification.roles.iter().map(|r| r.name()).collect();
        let features: Vec<&str> = certification.features.iter().map(|f| f.name()).collect();
        let _ = writeln!(
            html,
            "<p>Roles: <strong>{}</strong>. Features: {}.</p>",
            escape(&roles.join(", ")),
            escape(&features.join(", "))
        );
    } else {
        html.push_str("<p>Why not:</p><ul>");
        for reason in &certification.reasons {
            let _ = write!(html, "<li>{}</li>", escape(reason));
        }
        html.push_str("</ul>");
    }
    let _ = writeln!(
        html,
        "<p>SUT <code>{}</code> · spec {SPEC_VERSION} · suite {SUITE_VERSION} · seed <code>{}</code></p></section>",
        escape(&summary.sut_identity()),
        hex::encode(summary.seed)
    );
}

fn picture_section(summary: &RunSummary<'_>, verdicts: &BTreeMap<String, &'static str>, html: &mut String) {
    let _ = writeln!(html, "<h2 id=\"picture\">Results at a glance</h2>");
    html.push_str("<p class=\"legend\">");
    for (class, words) in VERDICTS {
        let _ = write!(html, "<span class=\"{class}\">{words}</span>");
    }
    html.push_str("</p>\n");
    // per role: the checks' outcomes
    let outcomes = ["pass", "fail", "skipped", "unimplemented", "waived"];
    html.push_str("<table id=\"by-role\"><thead><tr><th>Role (checks)</th><th>Picture</th>");
    for o in outcomes {
        let _ = write!(html, "<th>{o}</th>");
    }
    html.push_str("</tr></thead><tbody>\n");
    for target in Target::ALL {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for run in summary.runs.iter().filter(|r| r.check.target == target) {
            *counts.entry(run.outcome.name()).or_default() += 1;
        }
        let name = if target == Target::Suite { "suite (self-tests, never the SUT's)" } else { target.name() };
        let _ = writeln!(
            html,
            "<tr data-role=\"{}\"><th>{name}</th><td>{}</td>{}</tr>",
            target.name(),
            bar(&counts),
            counts_cells(&counts, &outcomes)
        );
    }
    html.push_str("</tbody></table>\n");
    // per area: the requirements' verdicts
    let columns: Vec<&str> = VERDICTS.iter().map(|(c, _)| *c).collect();
    html.push_str("<table id=\"by-area\"><thead><tr><th>Spec area (requirements)</th><th>Picture</th>");
    for (_, words) in VERDICTS {
        let _ = write!(html, "<th>{words}</th>");
    }
    html.push_str("</tr></thead><tbody>\n");
    for (prefix, name) in AREAS {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, verdict) in verdicts.iter().filter(|(id, _)| area_of(id) == prefix) {
            *counts.entry(verdict).or_default() += 1;
        }
        if counts.is_empty() {
            continue;
        }
        let _ = writeln!(
            html,
            "<tr data-area=\"{prefix}\"><th>{name} <code>{prefix}</code></th><td>{}</td>{}</tr>",
            bar(&counts),
            counts_cells(&counts, &columns)
        );
    }
    html.push_str("</tbody></table>\n");
}

fn failures_section(summary: &RunSummary<'_>, html: &mut String) {
    let failures: Vec<&CheckRun> = summary.runs.iter().filter(|r| matches!(r.outcome, Outcome::Fail { .. })).collect();
    let _ = writeln!(html, "<h2 id=\"failures\">Failures ({})</h2>", failures.len());
    if failures.is_empty() {
        html.push_str("<p>None.</p>\n");
        return;
    }
    html.push_str("<table id=\"failure-table\"><thead><tr><th>Check</th><th>Failed requirement</th><th>Expected</th><th>Actual</th><th>Replay</th></tr></thead><tbody>\n");
    for run in failures {
        if let Outcome::Fail { requirement, expected, actual } = &run.outcome {
            let _ = writeln!(
                html,
                "<tr class=\"fail\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                escape(&run.check.id),
                escape(requirement.as_deref().unwrap_or("none (set-up)")),
                escape(expected),
                escape(actual),
                escape(&summary.replay_command(&run.check.id))
            );
        }
    }
    html.push_str("</tbody></table>\n");
}

fn requirements_section(summary: &RunSummary<'_>, verdicts: &BTreeMap<String, &'static str>, html: &mut String) {
    let mut behind: BTreeMap<&str, Vec<&CheckRun>> = BTreeMap::new();
    for run in summary.runs.iter().filter(|r| r.check.target != Target::Suite) {
        for requirement in &run.check.requirements {
            behind.entry(requirement.as_str()).or_default().push(run);
        }
    }
    let _ = writeln!(html, "<h2 id=\"requirements\">Requirements</h2>");
    html.push_str("<div class=\"filters\"><label>Area <select id=\"filter-area\"><option value=\"\">all</option>");
    for (prefix, name) in AREAS {
        let _ = write!(html, "<option value=\"{prefix}\">{name} ({prefix})</option>");
    }
    html.push_str("</select></label><label>Verdict <select id=\"filter-verdict\"><option value=\"\">all</option>");
    for (class, words) in VERDICTS {
        let _ = write!(html, "<option value=\"{class}\">{words}</option>");
    }
    html.push_str("</select></label></div>\n");
    html.push_str("<table id=\"requirement-table\"><thead><tr><th>Requirement</th><th>Verdict</th><th>Checks</th><th>Text</th></tr></thead><tbody>\n");
    for requirement in spec_index::requirements() {
        let verdict = verdicts.get(&requirement.id).copied().unwrap_or("not-tested");
        let shown = match crate::verdict::suite_played(&requirement.id) {
            Some(what) => format!("not the SUT's: {what}"),
            None => verdict.replace('-', " "),
        };
        let checks: Vec<String> = behind
            .get(requirement.id.as_str())
            .map(|runs| runs.iter().map(|r| format!("{} ({})", r.check.id, r.outcome.name())).collect())
            .unwrap_or_default();
        let _ = writeln!(
            html,
            "<tr class=\"{verdict}\" data-area=\"{}\" data-verdict=\"{verdict}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            area_of(&requirement.id),
            escape(&requirement.id),
            escape(&shown),
            escape(&checks.join(", ")),
            escape(&requirement.text)
        );
    }
    html.push_str("</tbody></table>\n");
    let _ = writeln!(html, "<script>{FILTER_SCRIPT}</script>");
}

fn diagrams_section(verdicts: &BTreeMap<String, &'static str>, html: &mut String) {
    let _ = writeln!(
        html,
        "<h2 id=\"state-diagrams\">State machines</h2><p>Each transition is coloured by the worst verdict among the requirements that rule it: red fail, amber waived or unimplemented, grey not tested, green pass only when every one passed; blue-grey when they are all the suite's own. Dashed: a transition no observer sees fire.</p><style>{}</style><div class=\"diagrams\">",
        crate::diagrams::STYLE
    );
    for machine in jpki_reference::machines::ALL {
        let class_of = |t: &jpki_reference::machines::Transition| Some(transition_class(verdicts, t.requirements));
        let _ = writeln!(
            html,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            crate::diagrams::svg(machine, &class_of, true),
            escape(machine.title)
        );
    }
    html.push_str("</div>\n");
}

fn particulars_section(summary: &RunSummary<'_>, vector_digest: &str, html: &mut String) {
    let counts = tally(summary.runs);
    let absent: Vec<&str> = summary.capabilities.absent.iter().map(|f| f.name()).collect();
    let _ = writeln!(html, "<h2 id=\"particulars\">The run</h2><table><tbody>");
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
        "<table id=\"check-table\"><thead><tr><th>Check</th><th>Role</th><th>Kind</th><th>Outcome</th><th>Seed</th></tr></thead><tbody>\n",
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
    html.push_str("</tbody></table>\n");
}

/// The report as HTML text.
pub fn report(summary: &RunSummary<'_>, vector_digest: &str) -> String {
    let verdicts = crate::verdict::requirement_verdicts(summary.runs);
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>jpki-conformance report</title><style>{STYLE}</style></head><body>\n<h1>jpki-mobile conformance report</h1>\n"
    );
    verdict_section(summary, &mut html);
    picture_section(summary, &verdicts, &mut html);
    failures_section(summary, &mut html);
    requirements_section(summary, &verdicts, &mut html);
    diagrams_section(&verdicts, &mut html);
    particulars_section(summary, vector_digest, &mut html);
    html.push_str("</body></html>\n");
    html
}
