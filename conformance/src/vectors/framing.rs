//! The framing defects every message gets (ENC-001, ENC-003, ENC-004,
//! ENC-007, ENC-008): made from a valid test's input without re-signing, by
//! editing only the outermost item, so each receiver of each message is
//! shown them whatever decoder it runs. A file's valid tests of each
//! endpoint lend their input (the first one with fixed bytes); a defect the
//! endpoint already has a test for is not added twice.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The generator works on fixtures it makes itself (see generate.rs).

use std::collections::BTreeSet;

use jpki_reference::Code;
use jpki_reference::constants::MAX_DEPTH;

use super::format::{VectorFile, VectorTest};

/// One framing defect: its flag, comment, code and how it edits the bytes.
struct Defect {
    flag: &'static str,
    comment: &'static str,
    code: Code,
    edit: fn(&[u8]) -> Vec<u8>,
}

const DEFECTS: [Defect; 5] = [
    Defect {
        flag: "Truncation",
        comment: "the valid message without its last byte",
        code: Code::Malformed,
        edit: truncated,
    },
    Defect {
        flag: "TrailingBytes",
        comment: "the valid message and one byte more",
        code: Code::TrailingBytes,
        edit: trailing,
    },
    Defect {
        flag: "IndefiniteLength",
        comment: "the valid message with its outer array or map of indefinite length",
        code: Code::IndefiniteLength,
        edit: indefinite,
    },
    Defect {
        flag: "NonShortestEncoding",
        comment: "the valid message with its outer length in one byte more than needed",
        code: Code::NonShortestLength,
        edit: non_shortest,
    },
    Defect {
        flag: "Depth",
        comment: "the valid message with an item nested past MAX_DEPTH in its outer container",
        code: Code::TooDeep,
        edit: too_deep,
    },
];

fn truncated(bytes: &[u8]) -> Vec<u8> {
    bytes[..bytes.len() - 1].to_vec()
}

fn trailing(bytes: &[u8]) -> Vec<u8> {
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

fn indefinite(bytes: &[u8]) -> Vec<u8> {
    let (at, major, _) = outer(bytes);
    let mut out = bytes[..at].to_vec();
    out.push((major << 5) | 31);
    out.extend_from_slice(&bytes[at + 1..]);
    out.push(0xff);
    out
}

fn non_shortest(bytes: &[u8]) -> Vec<u8> {
    let (at, major, count) = outer(bytes);
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(&[(major << 5) | 24, count]);
    out.extend_from_slice(&bytes[at + 1..]);
    out
}

/// Arrays nested past the bound, as one more element (an array) or one
/// more pair (key 99, after every v0 key) of the outer container.
fn too_deep(bytes: &[u8]) -> Vec<u8> {
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

/// Adds the framing defects to `file` and renumbers its tests.
pub(super) fn add(file: &mut VectorFile) {
    for group in &mut file.test_groups {
        let endpoints: BTreeSet<Option<String>> = group.tests.iter().map(|t| t.endpoint.clone()).collect();
        let mut added = Vec::new();
        for endpoint in endpoints {
            let at_endpoint = || group.tests.iter().filter(|t| t.endpoint == endpoint);
            let Some(base) = at_endpoint().find(|t| t.result == "valid" && t.derive.is_none()) else { continue };
            let has = |flag: &str| at_endpoint().any(|t| t.flags.iter().any(|f| f == flag));
            let input = hex::decode(&base.input).unwrap();
            for defect in DEFECTS.iter().filter(|d| !has(d.flag)) {
                let mut flags = vec![defect.flag.to_owned()];
                if file.role == "verifier" {
                    // a message that does not decode never reaches Status (USE-009)
                    flags.push("NoStatusQuery".into());
                }
                added.push(VectorTest {
                    tc_id: 0,
                    comment: defect.comment.into(),
                    input: hex::encode((defect.edit)(&input)),
                    endpoint: endpoint.clone(),
                    derive: None,
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
