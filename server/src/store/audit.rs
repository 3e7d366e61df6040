//! The audit log: append-only, in the store, one row per accepted step and
//! per refusal (path, outcome code, requirement, time, SHA-256 of the
//! body), each row's hash covering the row and the hash before it, and the
//! newest hash kept beside the log. Editing a row breaks its hash; removing
//! one breaks the next row's link (or, for the newest, the kept head).
//! [`verify`] walks the chain.

use jpki_reference::Result;
use sha2::{Digest as _, Sha256};

use super::{Tx, fault, meta_get, meta_set};
use crate::args;

/// The `meta` key of the newest row's number and hash.
const HEAD: &str = "audit_head";

/// The hash before the first row.
pub const GENESIS: [u8; 32] = [0; 32];

/// One audit row's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// When (the server's clock).
    pub time: u64,
    /// The request path (a step's or a control's).
    pub path: &'a str,
    /// `ok`, or the refusal's code.
    pub outcome: &'a str,
    /// The refusal's requirement (empty for `ok`).
    pub requirement: &'a str,
    /// SHA-256 of the request body.
    pub body_digest: &'a [u8],
}

fn field(out: &mut Sha256, bytes: &[u8]) {
    out.update((bytes.len() as u64).to_be_bytes());
    out.update(bytes);
}

/// A row's hash: over the previous hash, its number and every field, each
/// length-prefixed so that no two rows hash alike by shifting bytes.
pub fn row_hash(prev: &[u8], seq: i64, entry: &Entry<'_>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    field(&mut hasher, b"jpki-audit/1");
    field(&mut hasher, prev);
    field(&mut hasher, &seq.to_be_bytes());
    field(&mut hasher, &entry.time.to_be_bytes());
    field(&mut hasher, entry.path.as_bytes());
    field(&mut hasher, entry.outcome.as_bytes());
    field(&mut hasher, entry.requirement.as_bytes());
    field(&mut hasher, entry.body_digest);
    hasher.finalize().into()
}

/// Appends `entry` in `tx` (the step's own transaction, or the refusal's).
///
/// The chain is one order of every change, so it is the store's one
/// serialisation point: on PostgreSQL every writing step takes the lock of
/// the empty `write_queue` table (SHARE ROW EXCLUSIVE, which excludes itself
/// and no reader) before its first query, so the steps of all instances
/// queue there and each sees the ones before it; the head row is also read
/// `FOR UPDATE`. (Not `audit`'s own lock: a vacuum of the growing log would
/// stall every step.)
/// On SQLite the write transaction already holds the only write lock.
pub fn append(tx: &Tx<'_>, entry: &Entry<'_>) -> Result<()> {
    let head = tx.query_opt(&format!("SELECT value FROM meta WHERE key = ?1{}", tx.for_update()), args![HEAD])?;
    let (seq, prev) = match head {
        Some(row) => {
            let head = row.bytes(0)?;
            let (seq, hash) = head.split_at_checked(8).ok_or_else(|| fault("the audit head is short"))?;
            let seq = i64::from_be_bytes(seq.try_into().map_err(fault)?);
            (seq + 1, hash.to_vec())
        }
        None => (1, GENESIS.to_vec()),
    };
    let hash = row_hash(&prev, seq, entry);
    tx.execute(
        "INSERT INTO audit (seq, time, path, outcome, requirement, body_digest, prev, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        args![seq, entry.time, entry.path, entry.outcome, entry.requirement, entry.body_digest, prev, hash],
    )?;
    meta_set(tx, HEAD, &[seq.to_be_bytes().as_slice(), hash.as_slice()].concat())
}

/// What a walk of the chain found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every row links to the one before and hashes to what it says; the
    /// newest is the kept head.
    Intact {
        /// Rows walked.
        rows: u64,
    },
    /// The first row that does not hold, and why.
    Broken {
        /// The row (or where the missing one was).
        seq: i64,
        /// What is wrong.
        why: String,
    },
}

/// Walks the whole chain, oldest first.
pub fn verify(tx: &Tx<'_>) -> Result<Verdict> {
    let rows =
        tx.query("SELECT seq, time, path, outcome, requirement, body_digest, prev, hash FROM audit ORDER BY seq", &[])?;
    let (mut expected_seq, mut prev_hash) = (1i64, GENESIS.to_vec());
    let mut count = 0u64;
    for row in rows {
        let seq = row.int(0)?;
        let time = row.int(1)?;
        let path = row.text(2)?;
        let outcome = row.text(3)?;
        let requirement = row.text(4)?;
        let body_digest = row.bytes(5)?;
        let prev = row.bytes(6)?;
        let hash = row.bytes(7)?;
        if seq != expected_seq {
            return Ok(Verdict::Broken {
                seq: expected_seq,
                why: format!("row {expected_seq} is missing (next is {seq})"),
            });
        }
        if prev != prev_hash {
            return Ok(Verdict::Broken { seq, why: "its link does not name the row before".into() });
        }
        let entry = Entry {
            time: time as u64,
            path: &path,
            outcome: &outcome,
            requirement: &requirement,
            body_digest: &body_digest,
        };
        if row_hash(&prev, seq, &entry).as_slice() != hash.as_slice() {
            return Ok(Verdict::Broken { seq, why: "its content does not hash to its hash: edited".into() });
        }
        prev_hash = hash;
        expected_seq += 1;
        count += 1;
    }
    let head = meta_get(tx, HEAD)?;
    let walked_head = (count > 0).then(|| [(expected_seq - 1).to_be_bytes().as_slice(), prev_hash.as_slice()].concat());
    if head != walked_head {
        return Ok(Verdict::Broken {
            seq: expected_seq,
            why: "the newest rows are gone: the kept head names a later one".into(),
        });
    }
    Ok(Verdict::Intact { rows: count })
}
