//! The audit log: append-only, in the store, one row per accepted step and
//! per refusal (path, outcome code, requirement, time, SHA-256 of the
//! body), each row's hash covering the row and the hash before it, and the
//! newest hash kept beside the log. Editing a row breaks its hash; removing
//! one breaks the next row's link (or, for the newest, the kept head).
//! [`verify`] walks the chain.

use jpki_reference::{Error, Result};
use rusqlite::{OptionalExtension, Transaction, params};
use sha2::{Digest as _, Sha256};

use super::{fault, meta_get, meta_set};

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
pub fn append(tx: &Transaction<'_>, entry: &Entry<'_>) -> Result<()> {
    let last: Option<(i64, Vec<u8>)> = tx
        .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(fault)?;
    let (seq, prev) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_vec()),
    };
    let hash = row_hash(&prev, seq, entry);
    tx.execute(
        "INSERT INTO audit (seq, time, path, outcome, requirement, body_digest, prev, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            seq,
            entry.time as i64,
            entry.path,
            entry.outcome,
            entry.requirement,
            entry.body_digest,
            prev,
            hash.as_slice()
        ],
    )
    .map_err(fault)?;
    meta_set(tx, "audit_head", &[seq.to_be_bytes().as_slice(), hash.as_slice()].concat())
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
pub fn verify(tx: &Transaction<'_>) -> Result<Verdict> {
    let mut query = tx
        .prepare("SELECT seq, time, path, outcome, requirement, body_digest, prev, hash FROM audit ORDER BY seq")
        .map_err(fault)?;
    let mut rows = query.query([]).map_err(fault)?;
    let (mut expected_seq, mut prev_hash) = (1i64, GENESIS.to_vec());
    let mut count = 0u64;
    while let Some(row) = rows.next().map_err(fault)? {
        let read = |e: rusqlite::Error| -> Error { fault(e) };
        let seq: i64 = row.get(0).map_err(read)?;
        let time: i64 = row.get(1).map_err(read)?;
        let path: String = row.get(2).map_err(read)?;
        let outcome: String = row.get(3).map_err(read)?;
        let requirement: String = row.get(4).map_err(read)?;
        let body_digest: Vec<u8> = row.get(5).map_err(read)?;
        let prev: Vec<u8> = row.get(6).map_err(read)?;
        let hash: Vec<u8> = row.get(7).map_err(read)?;
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
    let head = meta_get(tx, "audit_head")?;
    let walked_head = (count > 0).then(|| [(expected_seq - 1).to_be_bytes().as_slice(), prev_hash.as_slice()].concat());
    if head != walked_head {
        return Ok(Verdict::Broken {
            seq: expected_seq,
            why: "the newest rows are gone: the kept head names a later one".into(),
        });
    }
    Ok(Verdict::Intact { rows: count })
}
