//! The deterministic encoder: shortest heads, definite lengths, map keys
//! sorted by their encoded bytes (RFC 8949 §4.2.1). Everything the reference
//! sends goes through here, so its output always passes [`super::validate`].

use ciborium::Value;

use crate::error::{Code, Error, Result};

/// Encodes `value` in core deterministic encoding.
///
/// Refuses floats and duplicate map keys (`unsupported_type`,
/// `duplicate_map_key`) rather than emit bytes the strict decoder refuses.
pub fn encode(value: &Value) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_value(value, &mut out)?;
    Ok(out)
}

fn write_head(major: u8, arg: u64, out: &mut Vec<u8>) {
    let major = major << 5;
    if arg < 24 {
        out.push(major | arg as u8);
    } else if let Ok(a) = u8::try_from(arg) {
        out.extend_from_slice(&[major | 24, a]);
    } else if let Ok(a) = u16::try_from(arg) {
        out.push(major | 25);
        out.extend_from_slice(&a.to_be_bytes());
    } else if let Ok(a) = u32::try_from(arg) {
        out.push(major | 26);
        out.extend_from_slice(&a.to_be_bytes());
    } else {
        out.push(major | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}

fn write_len(major: u8, len: usize, out: &mut Vec<u8>) {
    // usize always fits in u64 on supported targets.
    write_head(major, len as u64, out);
}

fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<()> {
    match value {
        Value::Integer(i) => {
            let n = i128::from(*i);
            if n >= 0 {
                write_head(0, n as u64, out);
            } else {
                // -1 - n is in 0..=u64::MAX for every ciborium Integer.
                write_head(1, (-1 - n) as u64, out);
            }
        }
        Value::Bytes(b) => {
            write_len(2, b.len(), out);
            out.extend_from_slice(b);
        }
        Value::Text(t) => {
            write_len(3, t.len(), out);
            out.extend_from_slice(t.as_bytes());
        }
        Value::Array(items) => {
            write_len(4, items.len(), out);
            for item in items {
                write_value(item, out)?;
            }
        }
        Value::Map(entries) => {
            let mut encoded = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                encoded.push((encode(k)?, encode(v)?));
            }
            encoded.sort_by(|a, b| a.0.cmp(&b.0));
            if encoded.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err(Error::new(Code::DuplicateMapKey, "encoder given a map with a repeated key"));
            }
            write_len(5, encoded.len(), out);
            for (k, v) in encoded {
                out.extend_from_slice(&k);
                out.extend_from_slice(&v);
            }
        }
        Value::Tag(2 | 3, _) => return Err(Error::new(Code::UnsupportedType, "v0 carries no bignums")),
        Value::Tag(tag, inner) => {
            write_head(6, *tag, out);
            write_value(inner, out)?;
        }
        Value::Bool(false) => out.push(0xf4),
        Value::Bool(true) => out.push(0xf5),
        Value::Null => out.push(0xf6),
        _ => return Err(Error::new(Code::UnsupportedType, "v0 messages carry no floats")),
    }
    Ok(())
}
