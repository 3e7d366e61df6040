//! The state diagrams, drawn from the transition table in
//! `jpki_reference::machines`: SVG (laid out here, nothing fetched at view
//! time) and Graphviz DOT (for whoever prefers `dot`). `jpki-conformance
//! diagrams` writes them to `spec/diagrams/`; a test fails when the
//! committed files and the table disagree. Reports draw the same SVG with
//! each transition coloured by the outcome of the requirements it names.

use crate::html_escape::escape;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use jpki_reference::machines::{Machine, NONE, Transition};

/// How one transition is drawn besides its shape: a CSS class naming an
/// outcome (`pass`, `fail`, …), or none.
pub type EdgeClass<'a> = &'a dyn Fn(&Transition) -> Option<&'static str>;

const RANK_GAP: f64 = 120.0;
const NODE_GAP: f64 = 110.0;
const NODE_HEIGHT: f64 = 36.0;
const CHAR_WIDTH: f64 = 7.0;
const MARGIN: f64 = 16.0;

/// The default look of a standalone diagram; a page that inlines several
/// diagrams styles the same classes once.
pub const STYLE: &str = ".jd-node{fill:#f6f8fa;stroke:#24292f;stroke-width:1.5}\
.jd-final{stroke-width:3}\
.jd-start{fill:#24292f}\
.jd-edge{fill:none;stroke:#24292f;stroke-width:1.5}\
.jd-head{fill:#24292f}\
.jd-unobserved{stroke-dasharray:5 4}\
.jd-label{font:12px sans-serif;fill:#24292f}\
.jd-state{font:bold 13px sans-serif;fill:#24292f;text-anchor:middle;dominant-baseline:central}\
.jd-label-bg{fill:#ffffff;opacity:0.85}\
.jd-pass{stroke:#1a7f37}.jd-head.jd-pass{fill:#1a7f37}\
.jd-fail{stroke:#cf222e;stroke-width:2.5}.jd-head.jd-fail{fill:#cf222e}\
.jd-waived{stroke:#bf8700;stroke-width:2.5}.jd-head.jd-waived{fill:#bf8700}\
.jd-not-tested{stroke:#8c959f}.jd-head.jd-not-tested{fill:#8c959f}\
.jd-suite{stroke:#6e7fa3}.jd-head.jd-suite{fill:#6e7fa3}";

struct Node {
    x: f64,
    y: f64,
    half_width: f64,
    half_height: f64,
}

/// Longest-path ranks from the first state, over the transitions left when
/// self-loops and the edges that close a cycle (found depth first, in table
/// order) are set aside.
fn ranks(machine: &Machine) -> BTreeMap<&'static str, usize> {
    let forward = forward_edges(machine);
    let mut rank: BTreeMap<&'static str, usize> = machine.states.iter().map(|s| (*s, 0)).collect();
    // at most |states| relaxations settle a DAG's longest paths
    for _ in 0..machine.states.len() {
        for t in &forward {
            let next = rank[t.from] + 1;
            if rank[t.to] < next {
                rank.insert(t.to, next);
            }
        }
    }
    rank
}

/// The transitions that are neither self-loops nor close a cycle.
fn forward_edges(machine: &Machine) -> Vec<&'static Transition> {
    fn visit(
        machine: &Machine,
        state: &'static str,
        on_path: &mut Vec<&'static str>,
        done: &mut Vec<&'static str>,
        back: &mut Vec<(&'static str, &'static str)>,
    ) {
        on_path.push(state);
        for t in machine.transitions.iter().filter(|t| t.from == state && t.to != state) {
            if on_path.contains(&t.to) {
                back.push((t.from, t.to));
            } else if !done.contains(&t.to) {
                visit(machine, t.to, on_path, done, back);
            }
        }
        on_path.pop();
        done.push(state);
    }
    let (mut on_path, mut done, mut back) = (Vec::new(), Vec::new(), Vec::new());
    for state in machine.states {
        if !done.contains(state) {
            visit(machine, state, &mut on_path, &mut done, &mut back);
        }
    }
    machine.transitions.iter().filter(|t| t.from != t.to && !back.contains(&(t.from, t.to))).collect()
}

fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_WIDTH
}

fn layout(machine: &Machine, rank: &BTreeMap<&'static str, usize>) -> BTreeMap<&'static str, Node> {
    let depth = rank.values().copied().max().unwrap_or(0);
    let rows: Vec<Vec<&'static str>> =
        (0..=depth).map(|r| machine.states.iter().copied().filter(|s| rank[s] == r).collect()).collect();
    let size = |state: &str| {
        if state == NONE { (8.0, 8.0) } else { ((text_width(state) + 28.0).max(90.0) / 2.0, NODE_HEIGHT / 2.0) }
    };
    let row_width = |row: &[&str]| -> f64 {
        row.iter().map(|s| 2.0 * size(s).0).sum::<f64>() + NODE_GAP * row.len().saturating_sub(1) as f64
    };
    let widest = rows.iter().map(|r| row_width(r)).fold(0.0, f64::max);
    let mut nodes = BTreeMap::new();
    for (r, row) in rows.iter().enumerate() {
        let mut x = (widest - row_width(row)) / 2.0;
        for state in row {
            let (half_width, half_height) = size(state);
            nodes.insert(*state, Node { x: x + half_width, y: r as f64 * RANK_GAP, half_width, half_height });
            x += 2.0 * half_width + NODE_GAP;
        }
    }
    nodes
}

/// Where the ray from a node's centre in direction (dx, dy) leaves its box.
fn exit(node: &Node, dx: f64, dy: f64) -> (f64, f64) {
    let length = (dx * dx + dy * dy).sqrt().max(1e-9);
    let (ux, uy) = (dx / length, dy / length);
    let t = (node.half_width / ux.abs().max(1e-9)).min(node.half_height / uy.abs().max(1e-9));
    (node.x + ux * t, node.y + uy * t)
}

/// Everything drawn, with the box it covers, so the view box fits it.
struct Canvas {
    body: String,
    min: (f64, f64),
    max: (f64, f64),
}

impl Canvas {
    fn cover(&mut self, x: f64, y: f64) {
        self.min = (self.min.0.min(x), self.min.1.min(y));
        self.max = (self.max.0.max(x), self.max.1.max(y));
    }

    /// A label whose box starts at `x`, centred on `y`.
    fn label(&mut self, left: f64, y: f64, text: &str) {
        let width = text_width(text) * 0.93 + 6.0;
        self.cover(left, y - 10.0);
        self.cover(left + width, y + 10.0);
        let _ = write!(
            self.body,
            r#"<rect class="jd-label-bg" x="{:.1}" y="{:.1}" width="{width:.1}" height="16"/><text class="jd-label" x="{:.1}" y="{:.1}">{}</text>"#,
            left,
            y - 11.0,
            left + 3.0,
            y + 1.5,
            escape(text)
        );
    }

    fn head(&mut self, tip: (f64, f64), from: (f64, f64), class: &str) {
        let (dx, dy) = (tip.0 - from.0, tip.1 - from.1);
        let length = (dx * dx + dy * dy).sqrt().max(1e-9);
        let (ux, uy) = (dx / length, dy / length);
        let base = (tip.0 - ux * 10.0, tip.1 - uy * 10.0);
        let _ = write!(
            self.body,
            r#"<polygon class="jd-head{class}" points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}"/>"#,
            tip.0,
            tip.1,
            base.0 - uy * 4.5,
            base.1 + ux * 4.5,
            base.0 + uy * 4.5,
            base.1 - ux * 4.5
        );
    }
}

/// `machine` as a standalone SVG document (its own style), or, with
/// `inline`, as an `<svg>` element for a page that styles the `jd-` classes
/// itself ([`STYLE`]). `class_of` colours transitions.
pub fn svg(machine: &Machine, class_of: EdgeClass<'_>, inline: bool) -> String {
    let rank = ranks(machine);
    let nodes = layout(machine, &rank);
    let mut canvas = Canvas { body: String::new(), min: (0.0, 0.0), max: (0.0, 0.0) };
    for t in machine.transitions {
        let mut class = String::new();
        if t.unobserved.is_some() {
            class.push_str(" jd-unobserved");
        }
        let outcome = class_of(t).map(|c| format!(" jd-{c}")).unwrap_or_default();
        class.push_str(&outcome);
        let title = format!("{}: {} ({})", t.name(machine), t.on, t.requirements.join(", "));
        let (Some(a), Some(b)) = (nodes.get(t.from), nodes.get(t.to)) else { continue };
        let _ = write!(
            canvas.body,
            r#"<g class="jd-transition" data-transition="{}"><title>{}</title>"#,
            escape(&t.name(machine)),
            escape(&title)
        );
        if t.from == t.to {
            let (x, y) = (a.x + a.half_width, a.y);
            let start = (x, y - 8.0);
            let end = (x, y + 8.0);
            let (c1, c2) = ((x + 46.0, y - 36.0), (x + 46.0, y + 36.0));
            let _ = write!(
                canvas.body,
                r#"<path class="jd-edge{class}" d="M{:.1},{:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}"/>"#,
                start.0, start.1, c1.0, c1.1, c2.0, c2.1, end.0, end.1
            );
            canvas.cover(x + 46.0, y - 36.0);
            canvas.head(end, c2, &outcome);
            canvas.label(x + 44.0, y - 2.0, t.on);
        } else {
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let length = (dx * dx + dy * dy).sqrt().max(1e-9);
            let (mut px, mut py) = (-dy / length, dx / length);
            let paired = machine.transition(t.to, t.from).is_some();
            let span = rank[t.to].abs_diff(rank[t.from]);
            let backwards = rank[t.to] < rank[t.from];
            let bend = match (paired, span, backwards) {
                (true, _, _) => 28.0,
                (false, 0, _) => 40.0,
                (false, 1, false) => 0.0,
                (false, _, _) => 55.0 * span as f64 - 40.0,
            };
            // an edge of its own bends toward the side its target lies on, away
            // from the states between (a pair of opposite edges bends apart)
            let toward = if (b.x - a.x).abs() < 1.0 { 1.0 } else { (b.x - a.x).signum() };
            if !paired && px * toward < 0.0 {
                (px, py) = (-px, -py);
            }
            let mid = ((a.x + b.x) / 2.0 + px * bend, (a.y + b.y) / 2.0 + py * bend);
            let start = exit(a, mid.0 - a.x, mid.1 - a.y);
            let end = exit(b, mid.0 - b.x, mid.1 - b.y);
            let control = (2.0 * mid.0 - (start.0 + end.0) / 2.0, 2.0 * mid.1 - (start.1 + end.1) / 2.0);
            let _ = write!(
                canvas.body,
                r#"<path class="jd-edge{class}" d="M{:.1},{:.1} Q{:.1},{:.1} {:.1},{:.1}"/>"#,
                start.0, start.1, control.0, control.1, end.0, end.1
            );
            canvas.head(end, control, &outcome);
            let mid_line = (a.x + b.x) / 2.0;
            let on_the_left = mid.0 < mid_line - 1.0 || (bend == 0.0 && b.x < a.x - 1.0);
            if on_the_left {
                canvas.label(mid.0 - 6.0 - text_width(t.on) * 0.93 - 6.0, mid.1, t.on);
            } else {
                canvas.label(mid.0 + 6.0, mid.1, t.on);
            }
        }
        canvas.body.push_str("</g>");
    }
    for state in machine.states {
        let Some(node) = nodes.get(state) else { continue };
        canvas.cover(node.x - node.half_width, node.y - node.half_height);
        canvas.cover(node.x + node.half_width, node.y + node.half_height);
        if *state == NONE {
            let _ = write!(
                canvas.body,
                r#"<circle class="jd-start" data-state="(none)" cx="{:.1}" cy="{:.1}" r="7"><title>before it exists</title></circle>"#,
                node.x, node.y
            );
            continue;
        }
        let final_class = if machine.terminal(state) { " jd-final" } else { "" };
        let _ = write!(
            canvas.body,
            r#"<g data-state="{0}"><rect class="jd-node{final_class}" x="{1:.1}" y="{2:.1}" width="{3:.1}" height="{4:.1}" rx="10"/><text class="jd-state" x="{5:.1}" y="{6:.1}">{0}</text></g>"#,
            escape(state),
            node.x - node.half_width,
            node.y - node.half_height,
            2.0 * node.half_width,
            2.0 * node.half_height,
            node.x,
            node.y
        );
    }
    let (x, y) = (canvas.min.0 - MARGIN, canvas.min.1 - MARGIN);
    let (w, h) = (canvas.max.0 - canvas.min.0 + 2.0 * MARGIN, canvas.max.1 - canvas.min.1 + 2.0 * MARGIN);
    let head = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="jd-diagram" data-machine="{}" viewBox="{x:.1} {y:.1} {w:.1} {h:.1}" width="{w:.0}" height="{h:.0}" role="img" aria-label="{}">"#,
        machine.name,
        escape(machine.title)
    );
    if inline {
        format!("{head}{}</svg>", canvas.body)
    } else {
        format!("{head}\n<style>{STYLE}</style>\n{}\n</svg>\n", canvas.body)
    }
}

/// `machine` in Graphviz DOT.
pub fn dot(machine: &Machine) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = format!(
        "// generated from reference/src/machines.rs by `jpki-conformance diagrams`; do not edit\ndigraph {} {{\n  label={};\n  labelloc=t;\n  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n  edge [fontname=\"sans-serif\", fontsize=11];\n",
        quote(machine.name),
        quote(machine.title)
    );
    for state in machine.states {
        if *state == NONE {
            let _ = writeln!(out, "  {} [shape=point, width=0.15, label=\"\"];", quote(state));
        } else if machine.terminal(state) {
            let _ = writeln!(out, "  {} [peripheries=2];", quote(state));
        } else {
            let _ = writeln!(out, "  {};", quote(state));
        }
    }
    for t in machine.transitions {
        let style = if t.unobserved.is_some() { ", style=dashed" } else { "" };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}, tooltip={}{style}];",
            quote(t.from),
            quote(t.to),
            quote(t.on),
            quote(&t.requirements.join(", "))
        );
    }
    out.push_str("}\n");
    out
}

/// The files `jpki-conformance diagrams` writes, by path under `spec/`:
/// `diagrams/<machine>.svg` and `diagrams/<machine>.dot` for every machine.
pub fn files() -> Vec<(String, String)> {
    let plain: EdgeClass<'_> = &|_| None;
    jpki_reference::machines::ALL
        .iter()
        .flat_map(|m| {
            [(format!("diagrams/{}.svg", m.name), svg(m, plain, false)), (format!("diagrams/{}.dot", m.name), dot(m))]
        })
        .collect()
}

/// What under `spec_dir` differs from [`files`]: a drawing missing or
/// changed, and any file in `diagrams/` that no machine draws.
pub fn stale(spec_dir: &std::path::Path) -> Vec<String> {
    let expected = files();
    let mut out: Vec<String> = expected
        .iter()
        .filter(|(name, text)| std::fs::read_to_string(spec_dir.join(name)).ok().as_deref() != Some(text.as_str()))
        .map(|(name, _)| name.clone())
        .collect();
    if let Ok(entries) = std::fs::read_dir(spec_dir.join("diagrams")) {
        for entry in entries.flatten() {
            let name = format!("diagrams/{}", entry.file_name().to_string_lossy());
            if !expected.iter().any(|(drawn, _)| *drawn == name) {
                out.push(format!("{name} (drawn by no machine)"));
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jpki_reference::machines::{ALL, CREDENTIAL};

    #[test]
    fn every_state_and_transition_is_drawn_once() {
        for machine in ALL {
            let drawn = svg(machine, &|_| None, true);
            for state in machine.states {
                assert_eq!(drawn.matches(&format!("data-state=\"{}\"", escape(state))).count(), 1, "{state}");
            }
            assert_eq!(drawn.matches("class=\"jd-transition\"").count(), machine.transitions.len());
        }
    }

    #[test]
    fn ranks_follow_the_life_of_a_credential() {
        let rank = ranks(&CREDENTIAL);
        assert_eq!((rank[NONE], rank["active"], rank["suspended"]), (0, 1, 2));
        assert!(rank["revoked"] > rank["suspended"] && rank["expired"] > rank["suspended"]);
    }

    #[test]
    fn a_changed_drawing_and_a_stray_file_are_stale() {
        let dir = std::env::temp_dir().join(format!("jpki-diagrams-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("diagrams")).unwrap();
        for (name, text) in files() {
            std::fs::write(dir.join(name), text).unwrap();
        }
        assert_eq!(stale(&dir), Vec::<String>::new());
        std::fs::write(dir.join("diagrams/credential.svg"), "<svg/>").unwrap();
        std::fs::write(dir.join("diagrams/hand-drawn.svg"), "<svg/>").unwrap();
        assert_eq!(stale(&dir), vec!["diagrams/credential.svg", "diagrams/hand-drawn.svg (drawn by no machine)"]);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_class_colours_its_transition() {
        let drawn = svg(&CREDENTIAL, &|t| (t.to == "expired").then_some("fail"), true);
        assert_eq!(drawn.matches("jd-edge jd-fail").count(), 2);
    }
}
