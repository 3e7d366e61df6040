//! `spec/` rendered to one self-contained HTML page: every chapter in
//! reading order, each requirement anchored by its id with the checks,
//! self-tests and vectors that enforce it beside it (from
//! [`crate::coverage`]), the state diagrams inline as SVG, and the CDDL.
//! Nothing is fetched when the page is read.

use crate::html_escape::escape;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

use crate::coverage::{Covered, Standing};
use crate::spec_index::SPEC_VERSION;
use crate::spec_index::{SPEC_FILES, is_requirement_id};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1f2328;line-height:1.45}\
table{border-collapse:collapse;margin:0.8em 0}th,td{border:1px solid #d0d7de;padding:3px 7px;font-size:14px;vertical-align:top}\
th{background:#f6f8fa}pre{background:#f6f8fa;padding:0.8em;overflow-x:auto;font-size:13px}code{font-size:13px}\
section.chapter{border-top:2px solid #d0d7de;margin-top:2.5em}\
li.requirement{margin:0.5em 0}li.requirement:target{background:#fff8c5}\
.coverage{font-size:12.5px;color:#57606a;margin:0.2em 0 0.4em 0;padding-left:0.6em;border-left:3px solid #2da44e}\
.coverage.untestable{border-left-color:#bf8700}.coverage.self-tested{border-left-color:#8c959f}\
.coverage.uncovered{border-left-color:#cf222e;color:#cf222e}\
nav ul{columns:2}span.diagram{display:inline-block;margin:1em 1em 1em 0;vertical-align:top}";

/// What to print beside a requirement: who enforces it.
fn coverage_note(covered: &Covered) -> String {
    let mut parts = Vec::new();
    if !covered.checks.is_empty() {
        parts.push(format!("checks: {}", covered.checks.join(", ")));
    }
    if !covered.self_tests.is_empty() {
        parts.push(format!("self-tests: {}", covered.self_tests.join(", ")));
    }
    if !covered.vectors.is_empty() {
        let files: Vec<String> = covered.vectors.iter().map(|(f, n)| format!("{f} ×{n}")).collect();
        parts.push(format!("vectors: {}", files.join(", ")));
    }
    if !covered.unit_tests.is_empty() {
        parts.push(format!("tests: {}", covered.unit_tests.join(", ")));
    }
    match covered.standing {
        Standing::Untestable => parts.push("untestable by the runner (the reason is in the text)".into()),
        Standing::Uncovered => parts.push("enforced by nothing: a gap".into()),
        Standing::Checked | Standing::SelfTested => {}
    }
    parts.join(" · ")
}

/// The anchor of a chapter.
fn chapter_anchor(file: &str) -> String {
    format!("chapter-{}", file.trim_end_matches(".md"))
}

/// A link between spec files made a link within the page; others kept.
fn local_link(destination: &str) -> Option<String> {
    let (file, fragment) = destination.split_once('#').unwrap_or((destination, ""));
    let file = file.trim_start_matches("./");
    if file.is_empty() {
        return (!fragment.is_empty()).then(|| format!("#{fragment}"));
    }
    if file == "messages.cddl" || file == "observation.cddl" {
        return Some(format!("#{file}"));
    }
    SPEC_FILES.iter().any(|(name, _)| *name == file).then(|| format!("#{}", chapter_anchor(file)))
}

/// One chapter's Markdown as HTML: requirement items anchored and annotated,
/// links between chapters kept within the page, diagrams inlined.
fn chapter(markdown: &str, coverage: &BTreeMap<&str, &Covered>) -> String {
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, Options::ENABLE_TABLES).collect();
    let mut out: Vec<Event<'_>> = Vec::with_capacity(events.len());
    // for each open list item: the requirement it defines, if any
    let mut items: Vec<Option<String>> = Vec::new();
    let mut image: Option<String> = None;
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Item) => {
                // in a loose list the item's text is a paragraph of its own
                let skip = usize::from(matches!(events.get(i + 1), Some(Event::Start(Tag::Paragraph))));
                let at = i + 1 + skip;
                let id = match (events.get(at), events.get(at + 1), events.get(at + 2)) {
                    (Some(Event::Start(Tag::Strong)), Some(Event::Text(t)), Some(Event::End(TagEnd::Strong)))
                        if is_requirement_id(t) =>
                    {
                        Some(t.to_string())
                    }
                    _ => None,
                };
                match &id {
                    Some(id) => {
                        out.push(Event::Html(CowStr::from(format!("<li id=\"{id}\" class=\"requirement\">"))));
                        if skip == 1 {
                            out.push(events[i + 1].clone());
                        }
                        // the id in bold, a link to itself
                        out.push(Event::Html(CowStr::from(format!("<a href=\"#{id}\">"))));
                        out.extend(events[at..at + 3].iter().cloned());
                        out.push(Event::Html(CowStr::from("</a>")));
                        i = at + 2;
                    }
                    None => out.push(events[i].clone()),
                }
                items.push(id);
            }
            Event::End(TagEnd::Item) => {
                if let Some(Some(id)) = items.pop() {
                    let (class, note) = match coverage.get(id.as_str()) {
                        Some(c) => (c.standing.name(), coverage_note(c)),
                        None => ("uncovered", "not in the coverage index".to_owned()),
                    };
                    out.push(Event::Html(CowStr::from(format!(
                        "<div class=\"coverage {class}\" data-requirement=\"{id}\">{}</div>",
                        escape(&note)
                    ))));
                }
                out.push(events[i].clone());
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                let dest = local_link(dest_url).map(CowStr::from).unwrap_or_else(|| dest_url.clone());
                out.push(Event::Start(Tag::Link {
                    link_type: *link_type,
                    dest_url: dest,
                    title: title.clone(),
                    id: id.clone(),
                }));
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                image = Some(dest_url.to_string());
            }
            Event::End(TagEnd::Image) => {
                if let Some(dest) = image.take() {
                    let name = dest.trim_start_matches("diagrams/").trim_end_matches(".svg");
                    match jpki_reference::machines::Machine::named(name) {
                        Some(machine) => out.push(Event::Html(CowStr::from(format!(
                            "<span class=\"diagram\" title=\"{1}\">{0}</span>",
                            crate::diagrams::svg(machine, &|_| None, true),
                            escape(machine.title)
                        )))),
                        None => out.push(Event::Html(CowStr::from(format!(
                            "<p><em>(a picture, {}, not inlined)</em></p>",
                            escape(&dest)
                        )))),
                    }
                }
            }
            _ if image.is_some() => {} // the image's alt text
            other => out.push(other.clone()),
        }
        i += 1;
    }
    let mut text = String::new();
    html::push_html(&mut text, out.into_iter());
    text
}

/// The whole spec as one HTML page.
pub fn render(covered: &[Covered]) -> String {
    let by_id: BTreeMap<&str, &Covered> = covered.iter().map(|c| (c.requirement.id.as_str(), c)).collect();
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>jpki-mobile specification {SPEC_VERSION}</title><style>{STYLE}</style><style>{}</style></head><body>\n",
        crate::diagrams::STYLE
    );
    let _ = writeln!(
        page,
        "<header><h1>jpki-mobile: the specification on one page</h1><p id=\"spec-version\">Spec version <strong>{SPEC_VERSION}</strong>: one version for the whole specification; every report and vector file carries it. {} numbered requirements; beside each, what enforces it.</p></header>",
        covered.len()
    );
    page.push_str("<nav><h2>Contents</h2><ul>");
    for (name, _) in SPEC_FILES {
        let _ = write!(page, "<li><a href=\"#{}\">{name}</a></li>", chapter_anchor(name));
    }
    page.push_str("<li><a href=\"#chapter-cddl\">messages.cddl, observation.cddl</a></li></ul></nav>\n");
    for (name, markdown) in SPEC_FILES {
        let _ = writeln!(page, "<section class=\"chapter\" id=\"{}\">", chapter_anchor(name));
        page.push_str(&chapter(markdown, &by_id));
        page.push_str("</section>\n");
    }
    page.push_str("<section class=\"chapter\" id=\"chapter-cddl\"><h1>The CDDL</h1>");
    for (name, text) in [
        ("messages.cddl", include_str!("../../spec/messages.cddl")),
        ("observation.cddl", include_str!("../../spec/observation.cddl")),
    ] {
        let _ = write!(page, "<h2 id=\"{name}\">{name}</h2><pre>{}</pre>", escape(text));
    }
    page.push_str("</section>\n</body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_requirement_is_anchored_once_with_what_enforces_it() {
        let (covered, _) = crate::coverage::of_the_suite().unwrap();
        let page = render(&covered);
        for c in &covered {
            let id = &c.requirement.id;
            assert_eq!(page.matches(&format!("<li id=\"{id}\"")).count(), 1, "{id}");
            assert!(page.contains(&format!("data-requirement=\"{id}\">{}", escape(&coverage_note(c)))), "{id}");
            assert_ne!(c.standing, Standing::Uncovered, "{id}: enforced by nothing");
        }
        assert_eq!(page.matches("class=\"jd-diagram\"").count(), jpki_reference::machines::ALL.len());
        assert!(!page.contains("src=\""), "nothing fetched");
        assert!(page.contains("href=\"#chapter-use\""), "links between chapters stay in the page");
    }
}
