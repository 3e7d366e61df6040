//! `Error = { 1 => code, 2 => requirement, ? 3 => detail }`: how any server
//! role answers a refusal on the wire.

use super::{Message, bounded_text, text};
use crate::codec::{Fields, Value, map};
use crate::error::{Code, Error, Result};

/// The wire form of a refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorMessage {
    /// The registry code.
    pub code: Code,
    /// Detail for people (at most 1024 bytes).
    pub detail: String,
}

impl ErrorMessage {
    /// The wire form of `error`.
    pub fn from_error(error: &Error) -> Self {
        let mut detail = error.detail.to_string();
        while detail.len() > 1024 {
            detail.pop();
        }
        ErrorMessage { code: error.code, detail }
    }

    /// Back to a refusal.
    pub fn to_error(&self) -> Error {
        Error::with_detail(self.code, self.detail.clone())
    }
}

impl Message for ErrorMessage {
    const NAME: &'static str = "Error";

    fn to_value(&self) -> Value {
        let mut entries = vec![(1, text(self.code.as_str())), (2, text(self.code.requirement()))];
        if !self.detail.is_empty() {
            entries.push((3, text(&self.detail)));
        }
        map(entries)
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        let wire = bounded_text(fields, 1, "code", 1, 64)?;
        let code = Code::from_wire(&wire).ok_or(Error::with_detail(Code::Malformed, format!("unknown code {wire}")))?;
        let requirement = bounded_text(fields, 2, "requirement", 1, 16)?;
        if requirement != code.requirement() {
            return Err(Error::new(Code::Malformed, "requirement does not match the code"));
        }
        let detail = match fields.optional(3) {
            Some(Value::Text(t)) if t.len() <= 1024 => t,
            Some(Value::Text(_)) => return Err(Error::new(Code::TooLarge, "detail longer than 1024 bytes")),
            Some(_) => return Err(Error::new(Code::Malformed, "detail must be a tstr")),
            None => String::new(),
        };
        Ok(ErrorMessage { code, detail })
    }
}
