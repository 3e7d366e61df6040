//! The JUnit XML report: one testsuite per role, one testcase per check.

use std::fmt::Write;

use super::{RunSummary, SPEC_VERSION, SUITE_VERSION};
use crate::checks::Target;
use crate::runner::{Outcome, tally};

/// Escapes text for XML attributes and content.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The report as XML text.
pub fn report(summary: &RunSummary<'_>) -> String {
    let total = tally(summary.runs);
    let headline = summary.certification().headline();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"jpki-conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
        summary.runs.len(),
        total.fail,
        total.skipped + total.unimplemented + total.waived
    );
    for target in Target::ALL {
        let runs: Vec<_> = summary.runs.iter().filter(|r| r.check.target == target).collect();
        if runs.is_empty() {
            continue;
        }
        let counts = tally(runs.iter().copied());
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
            target.name(),
            runs.len(),
            counts.fail,
            counts.skipped + counts.unimplemented + counts.waived
        );
        xml.push_str("    <properties>\n");
        for (name, value) in [
            ("suite_version", SUITE_VERSION.to_owned()),
            ("spec_version", SPEC_VERSION.to_owned()),
            ("sut", summary.sut_identity()),
            ("verdict", headline.clone()),
            ("seed", hex::encode(summary.seed)),
        ] {
            let _ = writeln!(xml, "      <property name=\"{name}\" value=\"{}\"/>", escape(&value));
        }
        xml.push_str("    </properties>\n");
        for run in runs {
            let _ = write!(xml, "    <testcase classname=\"{}\" name=\"{}\">", target.name(), escape(&run.check.id));
            match &run.outcome {
                Outcome::Pass => {}
                Outcome::Fail { requirement, expected, actual } => {
                    let message = format!("expected {expected}, got {actual}");
                    let _ = write!(
                        xml,
                        "<failure message=\"{}\">failed requirement: {}; replay: {}</failure>",
                        escape(&message),
                        escape(requirement.as_deref().unwrap_or("none (set-up)")),
                        escape(&summary.replay_command(&run.check.id))
                    );
                }
                Outcome::Skipped(reason) | Outcome::Unimplemented(reason) => {
                    let _ = write!(xml, "<skipped message=\"{}: {}\"/>", run.outcome.name(), escape(reason));
                }
                Outcome::Waived { reason, underlying } => {
                    let _ = write!(xml, "<skipped message=\"waived ({}): {}\"/>", underlying.name(), escape(reason));
                }
            }
            xml.push_str("</testcase>\n");
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}
