//! Shim protocol framing (SHIM.md): each message is a 4-byte big-endian
//! length, then that many bytes of deterministic CBOR: a map with text keys.

use std::io::{Read, Write};

use ciborium::Value;
use jpki_reference::codec::{Limits, decode, encode};

/// The largest frame either side accepts.
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// Writes one frame.
pub fn write_frame(out: &mut impl Write, message: &Value) -> std::io::Result<()> {
    let bytes = encode(message).map_err(|e| std::io::Error::other(e.to_string()))?;
    out.write_all(&(bytes.len() as u32).to_be_bytes())?;
    out.write_all(&bytes)?;
    out.flush()
}

/// Reads one frame; `Ok(None)` at a clean end of stream.
pub fn read_frame(input: &mut impl Read) -> Result<Option<Value>, String> {
    let mut length = [0u8; 4];
    match input.read_exact(&mut length) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(format!("read error: {e}")),
    }
    let length = u32::from_be_bytes(length) as usize;
    if length > MAX_FRAME_BYTES {
        return Err(format!("frame of {length} bytes exceeds {MAX_FRAME_BYTES}"));
    }
    let mut body = vec![0u8; length];
    input.read_exact(&mut body).map_err(|e| format!("truncated frame: {e}"))?;
    let limits =
        Limits { max_bytes: MAX_FRAME_BYTES, max_depth: 16, max_items: 4096, deterministic: true, sorted_keys: true };
    decode(&body, &limits).map(Some).map_err(|e| format!("frame is not deterministic CBOR: {e}"))
}

/// A text-keyed map.
pub fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(entries.into_iter().map(|(k, v)| (Value::Text(k.to_owned()), v)).collect())
}

/// The value under text key `key`.
pub fn get<'a>(message: &'a Value, key: &str) -> Option<&'a Value> {
    match message {
        Value::Map(entries) => entries.iter().find(|(k, _)| matches!(k, Value::Text(t) if t == key)).map(|(_, v)| v),
        _ => None,
    }
}

/// Bytes under `key`.
pub fn bytes(message: &Value, key: &str) -> Result<Vec<u8>, String> {
    match get(message, key) {
        Some(Value::Bytes(b)) => Ok(b.clone()),
        _ => Err(format!("{key}: expected a byte string")),
    }
}

/// An unsigned integer under `key`.
pub fn uint(message: &Value, key: &str) -> Result<u64, String> {
    match get(message, key) {
        Some(Value::Integer(i)) => u64::try_from(i128::from(*i)).map_err(|_| format!("{key}: expected a uint")),
        _ => Err(format!("{key}: expected a uint")),
    }
}

/// Text under `key`.
pub fn text(message: &Value, key: &str) -> Result<String, String> {
    match get(message, key) {
        Some(Value::Text(t)) => Ok(t.clone()),
        _ => Err(format!("{key}: expected text")),
    }
}

/// An array of byte strings under `key`.
pub fn byte_list(message: &Value, key: &str) -> Result<Vec<Vec<u8>>, String> {
    match get(message, key) {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::Bytes(b) => Ok(b.clone()),
                _ => Err(format!("{key}: expected byte strings")),
            })
            .collect(),
        _ => Err(format!("{key}: expected an array")),
    }
}

/// A list of byte strings as a value.
pub fn list(items: &[Vec<u8>]) -> Value {
    Value::Array(items.iter().map(|b| Value::Bytes(b.clone())).collect())
}

/// A uint value.
pub fn int(n: u64) -> Value {
    Value::Integer(n.into())
}
