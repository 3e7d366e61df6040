//! States identified up to a renaming of byte strings: nonces, serials,
//! keys and certificates differ by path but not in meaning, so two states
//! whose canonical forms agree are explored once.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// The digest of `cbor` (one CBOR item, as ciborium writes it) with every
/// byte string renamed to its order of first appearance.
pub(super) fn digest(cbor: &[u8]) -> [u8; 32] {
    let mut canonical = Canonical { input: cbor, at: 0, tokens: HashMap::new(), hash: Sha256::new() };
    let _ = canonical.item();
    canonical.hash.finalize().into()
}

/// Where the well-formed CBOR item at `at` ends (definite lengths only, at
/// most 16 levels deep); `None` when it is not one.
fn end_of_item(input: &[u8], at: usize, depth: usize) -> Option<usize> {
    let first = *input.get(at)?;
    let (major, info) = (first >> 5, first & 0x1f);
    let (arg, mut at) = match info {
        0..=23 => (u64::from(info), at + 1),
        24..=27 => {
            let len = 1usize << (info - 24);
            let bytes = input.get(at + 1..at + 1 + len)?;
            (bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)), at + 1 + len)
        }
        _ => return None,
    };
    match major {
        2 | 3 => {
            let end = at.checked_add(usize::try_from(arg).ok()?)?;
            (end <= input.len()).then_some(end)
        }
        4 | 5 if depth < 16 => {
            let items = if major == 5 { arg.checked_mul(2)? } else { arg };
            for _ in 0..items {
                at = end_of_item(input, at, depth + 1)?;
            }
            Some(at)
        }
        6 if depth < 16 => end_of_item(input, at, depth + 1),
        0 | 1 | 7 => Some(at),
        _ => None,
    }
}

/// Canonical renaming over the CBOR serde writes for a snapshot: every byte
/// string, and every array of 8 or more integers below 256 (serde's form of
/// a byte array), is replaced by a token numbered in order of first
/// appearance; everything else is hashed as written. A single pass over the
/// bytes, no value tree (building one dominated the exploration's time).
struct Canonical<'a> {
    input: &'a [u8],
    at: usize,
    tokens: HashMap<Vec<u8>, u64>,
    hash: Sha256,
}

impl<'a> Canonical<'a> {
    fn head(&mut self) -> Option<(u8, u64, &'a [u8])> {
        let start = self.at;
        let first = *self.input.get(self.at)?;
        self.at += 1;
        let (major, info) = (first >> 5, first & 0x1f);
        let arg = match info {
            0..=23 => u64::from(info),
            24..=27 => {
                let len = 1usize << (info - 24);
                let bytes = self.input.get(self.at..self.at + len)?;
                self.at += len;
                bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
            }
            _ => 0, // indefinite lengths and breaks do not occur in ciborium's output
        };
        Some((major, arg, &self.input[start..self.at]))
    }

    /// Hashes the token of `bytes` (numbered in order of first appearance);
    /// a byte string that holds a CBOR array, map or tag (a signed message,
    /// a payload, a stored answer) is read through instead, so what a
    /// message says (a kind, a verification method, a status) tells states
    /// apart while the random values inside it are still renamed.
    fn token(&mut self, bytes: Vec<u8>) {
        if matches!(bytes.first().map(|b| b >> 5), Some(4..=6)) && end_of_item(&bytes, 0, 0) == Some(bytes.len()) {
            let mut inner = Canonical {
                input: &bytes,
                at: 0,
                tokens: std::mem::take(&mut self.tokens),
                hash: std::mem::replace(&mut self.hash, Sha256::new()),
            };
            inner.hash.update([0xfe]);
            let _ = inner.item();
            (self.tokens, self.hash) = (inner.tokens, inner.hash);
            return;
        }
        let next = self.tokens.len() as u64;
        let index = *self.tokens.entry(bytes).or_insert(next);
        self.hash.update([0xff]);
        self.hash.update(index.to_be_bytes());
    }

    /// serde's byte array: `n >= 8` items, each a uint below 256.
    fn small_ints(&self, n: u64) -> Option<Vec<u8>> {
        if n < 8 {
            return None;
        }
        let mut at = self.at;
        let mut out = Vec::with_capacity(usize::try_from(n).ok()?);
        for _ in 0..n {
            let b = *self.input.get(at)?;
            match b {
                0x00..=0x17 => {
                    out.push(b);
                    at += 1;
                }
                0x18 => {
                    out.push(*self.input.get(at + 1)?);
                    at += 2;
                }
                _ => return None,
            }
        }
        Some(out)
    }

    fn item(&mut self) -> Option<()> {
        let (major, arg, raw) = self.head()?;
        match major {
            2 => {
                let len = usize::try_from(arg).ok()?;
                let bytes = self.input.get(self.at..self.at + len)?.to_vec();
                self.at += len;
                self.token(bytes);
            }
            3 => {
                let len = usize::try_from(arg).ok()?;
                self.hash.update(self.input.get(self.at - raw.len()..self.at + len)?);
                self.at += len;
            }
            4 => match self.small_ints(arg) {
                Some(bytes) => {
                    self.token(bytes);
                    for _ in 0..arg {
                        self.head()?;
                    }
                }
                None => {
                    self.hash.update(raw);
                    for _ in 0..arg {
                        self.item()?;
                    }
                }
            },
            5 => {
                self.hash.update(raw);
                for _ in 0..arg.saturating_mul(2) {
                    self.item()?;
                }
            }
            6 => {
                self.hash.update(raw);
                self.item()?;
            }
            _ => self.hash.update(raw),
        }
        Some(())
    }
}
