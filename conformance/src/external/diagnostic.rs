//! RFC 8949 §8 diagnostic notation for the values v0 accepts, and a JSON
//! view, both used to compare decoded values with published expectations.

use jpki_reference::codec::Value;

/// Renders `value` in diagnostic notation (`[1, h'01', {1: "a"}]`).
pub fn diagnostic(value: &Value) -> String {
    match value {
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Bytes(b) => format!("h'{}'", hex::encode(b)),
        Value::Text(t) => serde_json::to_string(t).unwrap_or_default(),
        Value::Array(items) => format!("[{}]", items.iter().map(diagnostic).collect::<Vec<_>>().join(", ")),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries.iter().map(|(k, v)| format!("{}: {}", diagnostic(k), diagnostic(v))).collect::<Vec<_>>().join(", ")
        ),
        Value::Tag(tag, inner) => format!("{tag}({})", diagnostic(inner)),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => format!("<unsupported {other:?}>"),
    }
}

fn big_number(text: String) -> Option<serde_json::Value> {
    serde_json::from_str(&text).ok()
}

/// A JSON view of `value`, with bignums (tags 2 and 3) as numbers, or
/// `None` where JSON has no equivalent (byte strings, other tags, non-text keys).
pub fn to_json(value: &Value) -> Option<serde_json::Value> {
    match value {
        Value::Integer(i) => big_number(i128::from(*i).to_string()),
        Value::Text(t) => Some(serde_json::Value::String(t.clone())),
        Value::Bool(b) => Some(serde_json::Value::Bool(*b)),
        Value::Null => Some(serde_json::Value::Null),
        Value::Array(items) => items.iter().map(to_json).collect::<Option<Vec<_>>>().map(serde_json::Value::Array),
        Value::Map(entries) => {
            let mut object = serde_json::Map::new();
            for (k, v) in entries {
                let Value::Text(key) = k else { return None };
                object.insert(key.clone(), to_json(v)?);
            }
            Some(serde_json::Value::Object(object))
        }
        Value::Tag(tag @ (2 | 3), inner) => {
            let Value::Bytes(bytes) = inner.as_ref() else { return None };
            if bytes.len() > 15 {
                return None;
            }
            let magnitude = bytes.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
            let text = if *tag == 2 { magnitude.to_string() } else { format!("-{}", magnitude + 1) };
            big_number(text)
        }
        _ => None,
    }
}
