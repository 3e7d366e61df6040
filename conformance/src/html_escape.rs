//! Text put into HTML and SVG: the one escaping every page the suite writes uses.

/// `text` with `&`, `<`, `>` and `"` escaped, safe in element content and
/// in double-quoted attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
