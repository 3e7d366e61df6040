//! The notification outbox entries: one per event, written in the same step
//! as the change it reports (delivery, e.g. by e-mail, reads the outbox).

use crate::time::UnixTime;

/// What happened.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Mobile certificates were issued.
    Issued,
    /// A mobile certificate was used (Status answered `good` to a verifier).
    Used,
    /// Credentials moved to a new device (old ones superseded in the same step).
    Migrated,
    /// Certificates revoked (holder, lost device, release, card-linked).
    Revoked,
    /// Certificates put on hold.
    Suspended,
    /// A hold lifted.
    Resumed,
    /// A lost device confirmed its wipe.
    Wiped,
}

/// One outbox entry.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Notification {
    /// The event.
    pub event: Event,
    /// The certificates concerned (serials).
    #[serde(with = "crate::codec::bstr::list")]
    pub certs: Vec<Vec<u8>>,
    /// The relying party, for uses.
    pub rp_id: Option<String>,
    /// When.
    pub time: UnixTime,
    /// De-duplication key: delivery sends each key at most once.
    #[serde(with = "crate::codec::bstr::one")]
    pub key: Vec<u8>,
}

/// A notification's de-duplication key, byte for byte as NTF-001 defines
/// it: the ASCII name of the step that wrote it, a colon, then the step's
/// subject (each part as raw bytes, concatenated).
pub fn dedup_key(step: &str, subject: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::with_capacity(step.len() + 1 + subject.iter().map(|part| part.len()).sum::<usize>());
    key.extend_from_slice(step.as_bytes());
    key.push(b':');
    for part in subject {
        key.extend_from_slice(part);
    }
    key
}
