//! The framing defects every message gets (ENC-001, ENC-003, ENC-004,
//! ENC-007, ENC-008): made from a valid test's input without re-signing, by
//! editing only the outermost item, so each receiver of each message is
//! shown them whatever decoder it runs. A file's valid tests of each
//! endpoint lend their input (the first one with fixed bytes, else the
//! message a recipe withheld, the defect then remade for the judged wallet
//! by `derive: withheld/<flag>`); a defect the endpoint already has a test
//! for is not added twice.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The generator works on fixtures it makes itself (see generate.rs).

use std::collections::BTreeSet;

use ciborium::Value;
use jpki_reference::Code;
use jpki_reference::constants::MAX_DEPTH;

use super::format::{VectorFile, VectorTest};

/// One framing defect: its flag, comment, code and how it edits the bytes.
struct Defect {
    flag: &'static str,
    comment: &'static str,
    code: Code,
    /// The defective bytes, or `None` when the defect does not apply.
    edit: fn(&[u8]) -> Option<Vec<u8>>,
}

const DEFECTS: [Defect; 11] = [
    Defect {
        flag: "Truncation",
        comment: "the valid message without its last byte",
        code: Code::Malformed,
        edit: |b| Some(truncated_bytes(b)),
    },
    Defect {
        flag: "TrailingBytes",
        comment: "the valid message and one byte more",
        code: Code::TrailingBytes,
        edit: |b| Some(trailing_bytes(b)),
    },
    Defect {
        flag: "IndefiniteLength",
        comment: "the valid message with its outer array or map of indefinite length",
        code: Code::IndefiniteLength,
        edit: |b| Some(indefinite_bytes(b)),
    },
    Defect {
        flag: "NonShortestEncoding",
        comment: "the valid message with its outer length in one byte more than needed",
        code: Code::NonShortestLength,
        edit: |b| Some(non_shortest_bytes(b)),
    },
    Defect {
        flag: "Depth",
        comment: "the valid message with an item nested past MAX_DEPTH in its outer container",
        code: Code::TooDeep,
        edit: |b| Some(too_deep_bytes(b)),
    },
    Defect {
        flag: "Size",
        comment: "the valid message grown past MAX_MESSAGE_BYTES by a 70 000-byte item in its outer container",
        code: Code::TooLarge,
        edit: |b| Some(too_large_bytes(b)),
    },
    Defect {
        flag: "NonDeterministicEncoding",
        comment: "the valid message with two keys of its outer map (or unprotected header) out of order",
        code: Code::UnsortedMapKeys,
        edit: |b| Some(unsorted_bytes(b)),
    },
    Defect {
        flag: "DuplicateKey",
        comment: "the valid message with a key of its outer map (or unprotected header) twice",
        code: Code::DuplicateMapKey,
        edit: |b| Some(duplicated_bytes(b)),
    },
    Defect {
        flag: "UnknownField",
        comment: "the valid message with key 99 in its outer map (or unprotected header)",
        code: Code::UnknownField,
        edit: |b| Some(unknown_field_bytes(b)),
    },
    Defect {
        flag: "Shape",
        comment: "the valid message with its first field (or the kid) of another type",
        code: Code::Malformed,
        edit: |b| Some(wrong_shape_bytes(b)),
    },
    Defect {
        flag: "ModifiedSignature",
        comment: "the valid message with the last bit of its signature flipped",
        code: Code::BadSignature,
        edit: flipped_signature,
    },
];

/// A COSE_Sign1's signature is its last bytes: flip the last bit.
fn flipped_signature(bytes: &[u8]) -> Option<Vec<u8>> {
    (bytes[0] == 0xd2).then(|| {
        let mut out = bytes.to_vec();
        if let Some(last) = out.last_mut() {
            *last ^= 1;
        }
        out
    })
}

/// Decodes a generated message (canonical, so ciborium reads it exactly).
fn value(bytes: &[u8]) -> Value {
    ciborium::from_reader(bytes).unwrap()
}

/// Encodes entries in the order given (ciborium writes shortest heads and
/// keeps map order), so defects of order survive.
fn bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

/// Applies `edit` to the outer map's entries, or for a COSE_Sign1 to its
/// unprotected header (the only part not signed, so no re-signing).
fn edit_outer(input: &[u8], edit: impl FnOnce(&mut Vec<(Value, Value)>, bool)) -> Vec<u8> {
    let mut value = value(input);
    match &mut value {
        Value::Tag(18, inner) => match inner.as_mut() {
            Value::Array(items) => match items.get_mut(1) {
                Some(Value::Map(unprotected)) => edit(unprotected, true),
                _ => panic!("a COSE_Sign1 without its unprotected map"),
            },
            _ => panic!("tag 18 around something else"),
        },
        Value::Map(entries) => edit(entries, false),
        other => panic!("an outer item that is neither a map nor a COSE_Sign1: {other:?}"),
    }
    bytes(&value)
}

fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

fn too_large_bytes(input: &[u8]) -> Vec<u8> {
    let big = Value::Bytes(vec![0x5a; 70_000]);
    edit_outer(input, |entries, cose| {
        if cose {
            *entries = vec![(int(4), big)];
        } else {
            entries.push((int(99), big));
        }
    })
}

fn unsorted_bytes(input: &[u8]) -> Vec<u8> {
    edit_outer(input, |entries, cose| {
        if cose {
            *entries = vec![(int(4), Value::Bytes(vec![1])), (int(3), Value::Bytes(vec![2]))];
        } else {
            assert!(entries.len() >= 2, "a map of one entry cannot be out of order");
            entries.swap(0, 1);
        }
    })
}

fn duplicated_bytes(input: &[u8]) -> Vec<u8> {
    edit_outer(input, |entries, cose| {
        if cose {
            *entries = vec![(int(4), Value::Bytes(vec![1])), (int(4), Value::Bytes(vec![1]))];
        } else {
            let first = entries[0].clone();
            entries.insert(1, first);
        }
    })
}

fn unknown_field_bytes(input: &[u8]) -> Vec<u8> {
    edit_outer(input, |entries, _| entries.push((int(99), int(0))))
}

fn wrong_shape_bytes(input: &[u8]) -> Vec<u8> {
    edit_outer(input, |entries, cose| {
        if cose {
            *entries = vec![(int(4), Value::Text("kid".into()))];
        } else {
            let other = match entries[0].1 {
                Value::Text(_) => int(0),
                _ => Value::Text("of another type".into()),
            };
            entries[0].1 = other;
        }
    })
}

fn truncated_bytes(bytes: &[u8]) -> Vec<u8> {
    bytes[..bytes.len() - 1].to_vec()
}

fn trailing_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out.push(0x00);
    out
}

/// Where the outer array or map's head is: after tag 18 for a COSE_Sign1.
fn head_at(bytes: &[u8]) -> usize {
    if bytes[0] == 0xd2 { 1 } else { 0 }
}

/// The outer container's major type (4 array, 5 map) and item count; the
/// v0 messages' outer containers are short (count in the head byte).
fn outer(bytes: &[u8]) -> (usize, u8, u8) {
    let at = head_at(bytes);
    let head = bytes[at];
    let (major, count) = (head >> 5, head & 0x1f);
    assert!((major == 4 || major == 5) && count < 24, "outer container with a one-byte head");
    (at, major, count)
}

fn indefinite_bytes(bytes: &[u8]) -> Vec<u8> {
    let (at, major, _) = outer(bytes);
    let mut out = bytes[..at].to_vec();
    out.push((major << 5) | 31);
    out.extend_from_slice(&bytes[at + 1..]);
    out.push(0xff);
    out
}

fn non_shortest_bytes(bytes: &[u8]) -> Vec<u8> {
    let (at, major, count) = outer(bytes);
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(&[(major << 5) | 24, count]);
    out.extend_from_slice(&bytes[at + 1..]);
    out
}

/// Arrays nested past the bound, as one more element (an array) or one
/// more pair (key 99, after every v0 key) of the outer container.
fn too_deep_bytes(bytes: &[u8]) -> Vec<u8> {
    let (at, major, count) = outer(bytes);
    let mut deep = vec![0x81; MAX_DEPTH + 4];
    deep.push(0x00);
    let mut out = bytes[..at].to_vec();
    out.push((major << 5) | (count + 1));
    out.extend_from_slice(&bytes[at + 1..]);
    if major == 5 {
        out.extend_from_slice(&[0x18, 99]);
    }
    out.extend_from_slice(&deep);
    out
}

/// Every defect that applies to `input`: (flag, comment, code, bytes).
pub(super) fn defects_of(input: &[u8]) -> Vec<(&'static str, &'static str, Code, Vec<u8>)> {
    DEFECTS.iter().filter_map(|d| (d.edit)(input).map(|bytes| (d.flag, d.comment, d.code, bytes))).collect()
}

/// The framing defect `flag` made from `input`: how a judge remakes a test
/// whose input answers the judged wallet's own keys (`derive:
/// withheld/<flag>`, the defect made from the message the recipe withheld).
pub(super) fn defect_named(flag: &str, input: &[u8]) -> Option<Vec<u8>> {
    DEFECTS.iter().find(|d| d.flag == flag).and_then(|d| (d.edit)(input))
}

/// Adds the framing defects to `file` and renumbers its tests.
pub(super) fn add(file: &mut VectorFile) {
    let notes = super::generate::notes();
    let nested: BTreeSet<&str> = notes
        .iter()
        .filter(|(_, note)| note.bug_type.starts_with(super::judge::NESTED_PREFIX))
        .map(|(flag, _)| flag.as_str())
        .collect();
    for group in &mut file.test_groups {
        let endpoints: BTreeSet<Option<String>> = group.tests.iter().map(|t| t.endpoint.clone()).collect();
        let mut added = Vec::new();
        for endpoint in endpoints {
            let at_endpoint = || group.tests.iter().filter(|t| t.endpoint == endpoint);
            // fixed bytes where there are; else the message the recipe
            // withheld, remade for the judged wallet before the defect
            let fixed = at_endpoint().find(|t| t.result == "valid" && t.derive.is_none());
            let withheld = || {
                at_endpoint().find(|t| t.result == "valid" && t.derive.as_deref() == Some(super::fixtures::WITHHELD))
            };
            let Some(base) = fixed.or_else(withheld) else { continue };
            // a test about a message nested in another (Status's answer in a
            // verifier test) has defects that are not the outer message's
            let outer = |t: &&VectorTest| !t.flags.iter().any(|f| nested.contains(f.as_str()));
            let has = |flag: &str| at_endpoint().filter(outer).any(|t| t.flags.iter().any(|f| f == flag));
            let input = hex::decode(&base.input).unwrap();
            for defect in DEFECTS.iter().filter(|d| !has(d.flag)) {
                let Some(defective) = (defect.edit)(&input) else { continue };
                let mut flags = vec![defect.flag.to_owned()];
                if file.role == "verifier" {
                    // a message that does not decode never reaches Status (USE-009)
                    flags.push("NoStatusQuery".into());
                }
                added.push(VectorTest {
                    tc_id: 0,
                    comment: defect.comment.into(),
                    input: hex::encode(defective),
                    endpoint: endpoint.clone(),
                    derive: base.derive.as_ref().map(|d| format!("{d}/{}", defect.flag)),
                    status: base.status.clone(),
                    result: "invalid".into(),
                    code: Some(defect.code.as_str().to_owned()),
                    flags,
                });
            }
        }
        group.tests.extend(added);
    }
    let mut next = 1;
    for test in file.test_groups.iter_mut().flat_map(|g| g.tests.iter_mut()) {
        test.tc_id = next;
        next += 1;
    }
    file.number_of_tests = next - 1;
    let used: BTreeSet<&String> = file.test_groups.iter().flat_map(|g| &g.tests).flat_map(|t| &t.flags).collect();
    file.notes = super::generate::notes().into_iter().filter(|(k, _)| used.contains(k)).collect();
}
