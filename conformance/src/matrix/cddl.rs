//! Just enough of `spec/messages.cddl` to derive a message's matrix targets:
//! the rules, each map rule's fields (key, type, comment), which rules are
//! COSE_Sign1 (`#6.18`) and what their payload is. Not a CDDL parser: the
//! schema checks validate messages against the CDDL with a real one; this
//! reads the file's own layout (one field per line), and fails loudly on a
//! rule it cannot read rather than deriving fewer targets.

use std::collections::BTreeMap;

/// One field of a map rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The integer key.
    pub key: i64,
    /// The type as written (`nonce`, `[1*4 cert-serial]`, `bstr .cbor X`).
    pub ty: String,
    /// The comment after the field, if any.
    pub comment: String,
    /// Whether the field is optional (`?`).
    pub optional: bool,
}

/// One rule of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `Name = { … }`: a map with integer keys.
    Map(Vec<Field>),
    /// `Name = #6.18([ … payload: bstr .cbor P … ])`: a COSE_Sign1 whose
    /// payload is rule `P`.
    Signed {
        /// The payload rule.
        payload: String,
    },
    /// `Name = Other`: another name for a rule.
    Alias(String),
    /// Anything else (arrays, choices, type sockets): no fields to derive.
    Other,
}

/// The rules of a CDDL text, by name.
pub fn rules(text: &str) -> Result<BTreeMap<String, Rule>, String> {
    let mut out = BTreeMap::new();
    let lines: Vec<&str> = text.lines().map(|l| l.split(';').next().unwrap_or("")).collect();
    let comments: Vec<&str> = text.lines().map(|l| l.split_once(';').map(|(_, c)| c.trim()).unwrap_or("")).collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let Some((name, body)) = line.split_once(" = ") else {
            i += 1;
            continue;
        };
        if name.starts_with(' ') || name.contains(char::is_whitespace) {
            i += 1;
            continue;
        }
        let body = body.trim();
        let rule = if body == "{" {
            let mut fields = Vec::new();
            i += 1;
            while i < lines.len() && lines[i].trim() != "}" {
                if let Some(field) = field(lines[i], comments[i])? {
                    fields.push(field);
                }
                i += 1;
            }
            Rule::Map(fields)
        } else if body.starts_with("#6.18([") {
            let mut payload = None;
            i += 1;
            while i < lines.len() && lines[i].trim() != "])" {
                if let Some(rest) = lines[i].trim().strip_prefix("payload: bstr .cbor ") {
                    payload = Some(rest.trim_end_matches(',').trim().to_owned());
                }
                i += 1;
            }
            Rule::Signed { payload: payload.ok_or(format!("{name}: a COSE_Sign1 rule without its payload line"))? }
        } else if body.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            Rule::Alias(body.to_owned())
        } else {
            Rule::Other
        };
        out.insert(name.to_owned(), rule);
        i += 1;
    }
    Ok(out)
}

/// Reads `  ? 3 => type,` (the comment passed apart); `None` for a blank line.
fn field(line: &str, comment: &str) -> Result<Option<Field>, String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let (optional, line) = match line.strip_prefix("? ") {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let (key, ty) = line.split_once(" => ").ok_or(format!("not a field line: {line:?}"))?;
    // header maps have negative keys; message maps small positive ones
    let key: i64 = key.trim().parse().map_err(|_| format!("a field key that is not an integer: {line:?}"))?;
    Ok(Some(Field {
        key,
        ty: ty.trim().trim_end_matches(',').trim().to_owned(),
        comment: comment.to_owned(),
        optional,
    }))
}

/// Follows aliases to the rule a name stands for.
pub fn resolve<'a>(rules: &'a BTreeMap<String, Rule>, name: &'a str) -> Option<(&'a str, &'a Rule)> {
    let mut name = name;
    for _ in 0..8 {
        match rules.get(name)? {
            Rule::Alias(next) => name = next,
            rule => return Some((name, rule)),
        }
    }
    None
}

/// The rule name an array type `[1*4 X]` holds, or `X` itself.
pub fn element(ty: &str) -> &str {
    let inner = ty.trim_start_matches('[').trim_end_matches(']');
    inner.rsplit(' ').next().unwrap_or(inner)
}
