//! The validating pass over raw bytes: RFC 8949 §4.2.1 core deterministic
//! encoding plus the v0 profile's bounds, checked before any decoder builds
//! a value (a decoder such as ciborium would silently accept and normalise
//! non-shortest forms, so it must never see bytes this pass has not cleared).

use std::collections::BTreeSet;

use crate::constants::{MAX_COLLECTION_ITEMS, MAX_DEPTH, MAX_MESSAGE_BYTES};
use crate::error::{Code, Error};
use crate::mutants::Mutation;

/// The bounds a strict decode enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes (ENC-009).
    pub max_bytes: usize,
    /// Deepest accepted nesting of arrays, maps and tags (ENC-008).
    pub max_depth: usize,
    /// Most items in one array or pairs in one map (ENC-009).
    pub max_items: usize,
    /// Whether the deterministic-encoding rules apply. Always true in the
    /// reference; only a built-in mutant turns it off.
    pub deterministic: bool,
    /// Whether map keys must be sorted by their encoded bytes (ENC-005).
    /// True for every v0 message; false only for the ISO/IEC 18013-5
    /// structures a qualification reader receives, which that standard
    /// lets a sender order as it likes (QUA-016). Every other rule holds.
    pub sorted_keys: bool,
}

impl Limits {
    /// The limits the spec names for every v0 message.
    pub const V0: Limits = Limits {
        max_bytes: MAX_MESSAGE_BYTES,
        max_depth: MAX_DEPTH,
        max_items: MAX_COLLECTION_ITEMS,
        deterministic: true,
        sorted_keys: true,
    };

    /// The v0 bounds and rules for ISO/IEC 18013-5 structures: map keys in
    /// any order, nothing else relaxed (QUA-016).
    pub const MDOC: Limits = Limits { sorted_keys: false, ..Limits::V0 };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::V0
    }
}

/// A refusal from the validating pass: the code and the byte offset of the
/// item head where the problem was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrictError {
    /// The registry code.
    pub code: Code,
    /// Offset of the offending item's first byte.
    pub offset: usize,
}

impl From<StrictError> for Error {
    fn from(e: StrictError) -> Self {
        Error::with_detail(e.code, format!("at byte {}", e.offset))
    }
}

/// Checks that `bytes` hold exactly one CBOR item in core deterministic
/// encoding within `limits`. Never panics, whatever the input.
pub fn validate(bytes: &[u8], limits: &Limits) -> Result<(), StrictError> {
    match walk(bytes, limits) {
        Err(e) if waived_by_mutant(e.code) => Ok(()),
        verdict => verdict,
    }
}

/// The step mutants of this pass (see [`crate::mutants::Family::Step`]):
/// each lets one refusal through.
fn waived_by_mutant(code: Code) -> bool {
    match code {
        Code::TrailingBytes => Mutation::AcceptTrailingBytes.disables(None),
        Code::IndefiniteLength => Mutation::AcceptIndefiniteLength.disables(None),
        Code::NonShortestLength | Code::NonShortestInt => Mutation::AcceptNonShortest.disables(None),
        Code::TooDeep => Mutation::NoDepthLimit.disables(None),
        Code::UnsortedMapKeys => Mutation::AcceptUnsortedKeys.disables(None),
        Code::DuplicateMapKey => Mutation::AcceptDuplicateKeys.disables(None),
        Code::TooLarge => Mutation::NoSizeLimit.disables(None),
        _ => false,
    }
}

fn walk(bytes: &[u8], limits: &Limits) -> Result<(), StrictError> {
    if bytes.len() > limits.max_bytes {
        return Err(StrictError { code: Code::TooLarge, offset: 0 });
    }
    let mut walker = Walker { bytes, pos: 0, limits };
    walker.item(1)?;
    if walker.pos != bytes.len() {
        return Err(StrictError { code: Code::TrailingBytes, offset: walker.pos });
    }
    Ok(())
}

struct Walker<'a> {
    bytes: &'a [u8],
    pos: usize,
    limits: &'a Limits,
}

/// The head of one item: major type, additional info and its argument.
struct Head {
    major: u8,
    info: u8,
    arg: u64,
    start: usize,
}

impl Walker<'_> {
    fn fail<T>(&self, code: Code, offset: usize) -> Result<T, StrictError> {
        Err(StrictError { code, offset })
    }

    fn take(&mut self, n: usize, start: usize) -> Result<&[u8], StrictError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let slice = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(slice)
            }
            // Truncated input is not well-formed CBOR.
            None if Mutation::MisreportTruncation.disables(None) => self.fail(Code::TooLarge, start),
            None => self.fail(Code::Malformed, start),
        }
    }

    fn head(&mut self) -> Result<Head, StrictError> {
        let start = self.pos;
        let first = self.take(1, start)?[0];
        let (major, info) = (first >> 5, first & 0x1f);
        let arg = match info {
            0..=23 => u64::from(info),
            24..=27 => {
                let width = 1usize << (info - 24);
                let raw = self.take(width, start)?;
                let value = raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
                // Floats (major 7, info 25-27) carry bits, not a number.
                if major != 7 {
                    let shortest_floor = match info {
                        24 => 24,
                        25 => 0x100,
                        26 => 0x1_0000,
                        _ => 0x1_0000_0000,
                    };
                    if value < shortest_floor {
                        let code = match major {
                            2..=5 => Code::NonShortestLength,
                            _ => Code::NonShortestInt,
                        };
                        return self.fail(code, start);
                    }
                }
                value
            }
            28..=30 => return self.fail(Code::Malformed, start),
            _ => {
                // info 31: indefinite length, or a "break" with no open item.
                return match major {
                    2..=5 => self.fail(Code::IndefiniteLength, start),
                    _ => self.fail(Code::Malformed, start),
                };
            }
        };
        Ok(Head { major, info, arg, start })
    }

    fn length(&self, head: &Head) -> Result<usize, StrictError> {
        usize::try_from(head.arg).or_else(|_| self.fail(Code::TooLarge, head.start))
    }

    fn item(&mut self, depth: usize) -> Result<(), StrictError> {
        let head = self.head()?;
        match head.major {
            0 | 1 => Ok(()),
            2 | 3 => {
                let len = self.length(&head)?;
                if len > self.limits.max_bytes {
                    return self.fail(Code::TooLarge, head.start);
                }
                let body = self.take(len, head.start)?;
                if head.major == 3 && std::str::from_utf8(body).is_err() {
                    return self.fail(Code::InvalidUtf8, head.start);
                }
                Ok(())
            }
            4 => {
                let count = self.collection(&head, depth, 1)?;
                for _ in 0..count {
                    self.item(depth + 1)?;
                }
                Ok(())
            }
            5 => {
                let count = self.collection(&head, depth, 2)?;
                self.map_entries(count, depth)
            }
            6 => {
                // Bignums: ciborium would turn a small one into a plain integer,
                // so the same value would have two encodings (ENC-011).
                if head.arg == 2 || head.arg == 3 {
                    return self.fail(Code::UnsupportedType, head.start);
                }
                if depth >= self.limits.max_depth {
                    return self.fail(Code::TooDeep, head.start);
                }
                self.item(depth + 1)
            }
            _ => self.simple(&head),
        }
    }

    /// Checks a collection head against the depth and size bounds and
    /// returns its item count.
    fn collection(&self, head: &Head, depth: usize, per_item: usize) -> Result<usize, StrictError> {
        let count = self.length(head)?;
        if count > self.limits.max_items {
            return self.fail(Code::TooLarge, head.start);
        }
        // Every item needs at least one byte: a count the input cannot hold is
        // truncation, caught here before any loop runs.
        let remaining = self.bytes.len() - self.pos;
        if count.saturating_mul(per_item) > remaining {
            return self.fail(Code::Malformed, head.start);
        }
        if count > 0 && depth >= self.limits.max_depth {
            return self.fail(Code::TooDeep, head.start);
        }
        Ok(count)
    }

    fn map_entries(&mut self, count: usize, depth: usize) -> Result<(), StrictError> {
        let mut seen: BTreeSet<&[u8]> = BTreeSet::new();
        let mut previous: Option<&[u8]> = None;
        for _ in 0..count {
            let key_start = self.pos;
            self.item(depth + 1)?;
            let key = &self.bytes[key_start..self.pos];
            if !seen.insert(key) {
                return self.fail(Code::DuplicateMapKey, key_start);
            }
            // Core deterministic encoding: keys sorted by their encoded bytes.
            if self.limits.sorted_keys && previous.is_some_and(|p| p > key) {
                return self.fail(Code::UnsortedMapKeys, key_start);
            }
            previous = Some(key);
            self.item(depth + 1)?;
        }
        Ok(())
    }

    fn simple(&self, head: &Head) -> Result<(), StrictError> {
        match head.info {
            // false, true, null
            20..=22 => Ok(()),
            // A one-byte simple value below 32 is not well-formed (RFC 8949 §3.3).
            24 if head.arg < 32 => self.fail(Code::Malformed, head.start),
            // undefined, unassigned simple values, and floats of any width.
            _ => self.fail(Code::UnsupportedType, head.start),
        }
    }
}
