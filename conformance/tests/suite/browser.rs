//! A real browser reads the report and the rendered spec: headless
//! Chromium (Debian's `chromium`) dumps the DOM after its scripts ran and
//! prints the report to PDF, whose text `pdftotext` (poppler-utils) reads.
//! `.ci/run` installs both and runs these with `--ignored browser_`; a plain
//! `cargo test` lists them as ignored, with the reason.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};
use std::process::Command;

const NEEDS: &str =
    "needs Debian's chromium and poppler-utils: .ci/run installs them and runs these with --ignored browser_";

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jpki-browser-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool(name: &str) -> Command {
    let found = Command::new("sh").args(["-c", &format!("command -v {name}")]).output().unwrap();
    assert!(found.status.success(), "{name} is not installed ({NEEDS})");
    Command::new(name)
}

/// Headless Chromium on `page` with `args`; as root it needs `--no-sandbox`.
fn chromium(page: &Path, args: &[&str]) -> String {
    chromium_at(page, "", args)
}

/// The same, on `page` opened at `fragment` (`#…`, or empty).
fn chromium_at(page: &Path, fragment: &str, args: &[&str]) -> String {
    // a profile of its own per run: two browsers on one profile refuse to start
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let profile = folder(&format!("profile-{}", RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
    let output = tool("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .unwrap();
    assert!(output.status.success(), "chromium: {}", String::from_utf8_lossy(&output.stderr));
    std::fs::remove_dir_all(profile).ok();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn position(dom: &str, marker: &str) -> usize {
    dom.find(marker).unwrap_or_else(|| panic!("{marker} is not in the DOM"))
}

/// A report of a run with a failure: the counter check against the mutant that ignores counters.
fn report_with_failures() -> PathBuf {
    let out = folder("report");
    let run = Command::new(env!("CARGO_BIN_EXE_jpki-conformance"))
        .args(["run", "--sut", "mutant:ignore-counter", "--only", "registry::counter_regression", "--only"])
        .arg("lifecycle::suspension-then-resumption")
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{}", String::from_utf8_lossy(&run.stdout));
    out.join("report.html")
}

#[test]
#[ignore = "needs Debian's chromium and poppler-utils: .ci/run installs them and runs these with --ignored browser_"]
fn browser_reads_the_report_verdict_first_and_prints_it() {
    let page = report_with_failures();
    let dom = chromium(&page, &["--dump-dom"]);
    // the verdict before anything else, the failures before the requirement table
    let verdict = position(&dom, "id=\"verdict\"");
    assert!(verdict < position(&dom, "id=\"picture\""));
    assert!(position(&dom, "id=\"failures\"") < position(&dom, "id=\"requirement-table\""));
    assert!(dom[verdict..].contains("Not certified"), "the verdict says not certified");
    assert!(position(&dom, "id=\"failure-table\"") < position(&dom, "id=\"requirement-table\""));
    assert!(dom.contains("--replay registry::counter_regression"), "the failure's replay command");
    // one diagram per state machine, coloured where the failed requirement rules a transition
    assert_eq!(dom.matches("class=\"jd-diagram\"").count(), jpki_reference::machines::ALL.len());
    assert!(dom.contains("jd-edge jd-fail"), "the failed requirement's transitions are red");
    // the filters: nothing hidden before one is chosen; opened at #filter=fail, only the failed rows show
    assert!(dom.contains("id=\"filter-area\"") && dom.contains("id=\"filter-verdict\""));
    assert!(!dom.contains("display: none"), "no requirement row is hidden before a filter is chosen");
    let filtered = chromium_at(&page, "#filter=fail", &["--dump-dom"]);
    let hidden = filtered.matches("style=\"display: none;\"").count();
    let rows = filtered.matches("<tr class=").count();
    assert!(hidden > 100, "{hidden} of {rows} rows hidden by #filter=fail");
    let failed_row = position(&filtered, "data-verdict=\"fail\"");
    let row_end = failed_row + filtered[failed_row..].find('>').unwrap();
    assert!(!filtered[failed_row..row_end].contains("display: none"), "the failed requirement's row stays shown");
    assert!(filtered.contains("data-verdict=\"pass\" style=\"display: none;\""));
    // printed to PDF, the verdict is on paper
    let pdf = page.with_extension("pdf");
    chromium(&page, &[&format!("--print-to-pdf={}", pdf.display()), "--no-pdf-header-footer"]);
    let text = tool("pdftotext").arg(&pdf).arg("-").output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Not certified"), "the PDF's text lacks the verdict: {}", &text[..text.len().min(400)]);
    assert!(text.contains("check(s) failed"), "the PDF's text lacks the reason");
    std::fs::remove_dir_all(page.parent().unwrap()).ok();
}

#[test]
#[ignore = "needs Debian's chromium and poppler-utils: .ci/run installs them and runs these with --ignored browser_"]
fn browser_reads_the_rendered_spec_with_every_requirement_covered() {
    let out = folder("spec").join("spec.html");
    let render =
        Command::new(env!("CARGO_BIN_EXE_jpki-conformance")).args(["render-spec", "--out"]).arg(&out).output().unwrap();
    assert!(render.status.success(), "{}", String::from_utf8_lossy(&render.stdout));
    let dom = chromium(&out, &["--dump-dom"]);
    assert_eq!(dom.matches("class=\"jd-diagram\"").count(), jpki_reference::machines::ALL.len(), "one SVG per machine");
    let requirements = jpki_conformance::spec_index::requirements();
    for requirement in &requirements {
        let id = &requirement.id;
        let anchor = position(&dom, &format!("id=\"{id}\""));
        let cell = format!("data-requirement=\"{id}\">");
        let at = position(&dom, &cell) + cell.len();
        assert!(at > anchor, "{id}: its coverage comes after its anchor");
        let end = dom[at..].find("</div>").unwrap();
        assert!(!dom[at..at + end].trim().is_empty(), "{id}: empty coverage cell");
    }
    std::fs::remove_dir_all(out.parent().unwrap()).ok();
}
