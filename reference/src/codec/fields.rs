//! Reading a v0 message map: integer keys, each taken at most once, and any
//! key left over at the end refused as `unknown_field` (ENC-013).

use crate::mutants::Mutation;
use ciborium::Value;

use super::TAG_EPOCH_TIME;
use crate::error::{Code, Error, Result};

/// The entries of one message map, consumed field by field.
#[derive(Debug)]
pub struct Fields {
    message: &'static str,
    entries: Vec<(i64, Option<Value>)>,
}

fn malformed(message: &str, what: impl std::fmt::Display) -> Error {
    Error::with_detail(Code::Malformed, format!("{message}: {what}"))
}

impl Fields {
    /// Opens `value` as the map of `message`; every key must be an integer.
    pub fn open(message: &'static str, value: Value) -> Result<Self> {
        let Value::Map(pairs) = value else {
            return Err(malformed(message, "expected a map"));
        };
        let mut entries = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            let key = match key {
                Value::Integer(i) => {
                    i64::try_from(i128::from(i)).map_err(|_| malformed(message, "key out of range"))?
                }
                _ => return Err(malformed(message, "map keys are integers")),
            };
            entries.push((key, Some(value)));
        }
        Ok(Fields { message, entries })
    }

    /// Takes field `key` if present.
    pub fn optional(&mut self, key: i64) -> Option<Value> {
        self.entries.iter_mut().find(|(k, _)| *k == key).and_then(|(_, v)| v.take())
    }

    /// Takes field `key`, refusing with `malformed` when it is absent.
    pub fn required(&mut self, key: i64, name: &str) -> Result<Value> {
        self.optional(key).ok_or_else(|| malformed(self.message, format!("missing field {name} ({key})")))
    }

    /// Takes a byte-string field.
    pub fn bytes(&mut self, key: i64, name: &str) -> Result<Vec<u8>> {
        match self.required(key, name)? {
            Value::Bytes(b) => Ok(b),
            _ => Err(malformed(self.message, format!("{name} must be a bstr"))),
        }
    }

    /// Takes a byte-string field of exactly `N` bytes.
    pub fn fixed_bytes<const N: usize>(&mut self, key: i64, name: &str) -> Result<[u8; N]> {
        let mut bytes = self.bytes(key, name)?;
        if Mutation::IgnoreByteStringSizes.disables(None) {
            bytes.resize(N, 0);
        }
        <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| malformed(self.message, format!("{name} must be {N} bytes")))
    }

    /// Takes a text field of at most `max_len` bytes.
    pub fn text(&mut self, key: i64, name: &str, max_len: usize) -> Result<String> {
        match self.required(key, name)? {
            Value::Text(t) if t.len() <= max_len => Ok(t),
            Value::Text(_) => Err(Error::with_detail(Code::TooLarge, format!("{}: {name} too long", self.message))),
            _ => Err(malformed(self.message, format!("{name} must be a tstr"))),
        }
    }

    /// Takes an unsigned integer field.
    pub fn uint(&mut self, key: i64, name: &str) -> Result<u64> {
        match self.required(key, name)? {
            Value::Integer(i) => {
                u64::try_from(i128::from(i)).map_err(|_| malformed(self.message, format!("{name} must be a uint")))
            }
            _ => Err(malformed(self.message, format!("{name} must be a uint"))),
        }
    }

    /// Takes a boolean field.
    pub fn bool(&mut self, key: i64, name: &str) -> Result<bool> {
        match self.required(key, name)? {
            Value::Bool(b) => Ok(b),
            _ => Err(malformed(self.message, format!("{name} must be a bool"))),
        }
    }

    /// Takes a time field: tag 1 around whole seconds since the epoch.
    pub fn time(&mut self, key: i64, name: &str) -> Result<u64> {
        match self.required(key, name)? {
            Value::Tag(TAG_EPOCH_TIME, inner) => match *inner {
                Value::Integer(i) => {
                    u64::try_from(i128::from(i)).map_err(|_| malformed(self.message, format!("{name}: negative time")))
                }
                _ => Err(malformed(self.message, format!("{name}: tag 1 must hold whole seconds"))),
            },
            _ => Err(malformed(self.message, format!("{name} must be tag 1 (epoch seconds)"))),
        }
    }

    /// Takes an array field.
    pub fn array(&mut self, key: i64, name: &str) -> Result<Vec<Value>> {
        match self.required(key, name)? {
            Value::Array(items) => Ok(items),
            _ => Err(malformed(self.message, format!("{name} must be an array"))),
        }
    }

    /// Ends reading: any field not taken is unknown to v0 (ENC-013).
    pub fn finish(self) -> Result<()> {
        match self.entries.iter().find(|(_, v)| v.is_some()) {
            Some((key, _)) if !Mutation::IgnoreUnknownFields.disables(None) => {
                Err(Error::with_detail(Code::UnknownField, format!("{}: key {key} is not defined in v0", self.message)))
            }
            _ => Ok(()),
        }
    }
}

/// Builds a time value: tag 1 around whole seconds.
pub fn time_value(secs: u64) -> Value {
    Value::Tag(TAG_EPOCH_TIME, Box::new(Value::Integer(secs.into())))
}

/// Builds a message map from integer keys.
pub fn map(entries: Vec<(i64, Value)>) -> Value {
    Value::Map(entries.into_iter().map(|(k, v)| (Value::Integer(k.into()), v)).collect())
}
