//! Status messages (spec/messages.cddl, "Use"), and the Issuer → Status feed.

use super::{Kind, Message, Nonce, bounded_bytes, bounded_text, bytes, text, uint};
use crate::codec::{Fields, Value, map, time_value};
use crate::error::{Code, Error, Result};
use crate::time::UnixTime;

/// Why a certificate was revoked.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    /// Replaced by a migration to another device.
    Superseded,
    /// The holder revoked it from the device.
    HolderRequest,
    /// Lost phone; a wipe is queued.
    DeviceLost,
    /// Trade-in, buy-back or repair.
    DeviceReleased,
    /// The card certificate it hangs on was revoked.
    CardRevoked,
    /// A `sign` certificate ended when a hold was lifted.
    ReissueAfterHold,
}

impl RevocationReason {
    /// The wire value.
    pub fn wire(self) -> u64 {
        match self {
            RevocationReason::Superseded => 1,
            RevocationReason::HolderRequest => 2,
            RevocationReason::DeviceLost => 3,
            RevocationReason::DeviceReleased => 4,
            RevocationReason::CardRevoked => 5,
            RevocationReason::ReissueAfterHold => 6,
        }
    }

    /// From the wire value.
    pub fn from_wire(value: u64) -> Result<Self> {
        Ok(match value {
            1 => RevocationReason::Superseded,
            2 => RevocationReason::HolderRequest,
            3 => RevocationReason::DeviceLost,
            4 => RevocationReason::DeviceReleased,
            5 => RevocationReason::CardRevoked,
            6 => RevocationReason::ReissueAfterHold,
            other => return Err(Error::with_detail(Code::Malformed, format!("revocation reason {other}"))),
        })
    }
}

/// A certificate's status as Status reports it.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum CertStatus {
    /// Usable.
    Good,
    /// On hold (temporary).
    Suspended,
    /// Revoked for good, with reason and time.
    Revoked {
        /// Why.
        reason: RevocationReason,
        /// Since when.
        at: UnixTime,
    },
}

/// The map entries (keys 2, 6, 7) that state a certificate status.
pub(crate) fn status_entries(status: &CertStatus) -> Vec<(i64, Value)> {
    match status {
        CertStatus::Good => vec![(2, uint(0))],
        CertStatus::Suspended => vec![(2, uint(1))],
        CertStatus::Revoked { reason, at } => vec![(2, uint(2)), (6, uint(reason.wire())), (7, time_value(*at))],
    }
}

/// Reads keys 2, 6 and 7 back into a status.
pub(crate) fn read_status(fields: &mut Fields) -> Result<CertStatus> {
    let code = fields.uint(2, "status")?;
    let reason = fields.optional(6);
    let at = fields.optional(7);
    match (code, reason, at) {
        (0, None, None) => Ok(CertStatus::Good),
        (1, None, None) => Ok(CertStatus::Suspended),
        (2, Some(reason), Some(at)) => {
            let reason = match reason {
                Value::Integer(i) => u64::try_from(i128::from(i)).ok(),
                _ => None,
            }
            .ok_or(Error::new(Code::Malformed, "revocation reason must be a uint"))?;
            let mut time_fields = Fields::open("revocation time", map(vec![(1, at)]))?;
            Ok(CertStatus::Revoked { reason: RevocationReason::from_wire(reason)?, at: time_fields.time(1, "time")? })
        }
        _ => Err(Error::new(Code::Malformed, "status code with reason and time iff revoked")),
    }
}

/// `StatusRequestPayload`: Verifier → Status, signed by the verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusRequestPayload {
    /// The verifier's rp id (its certificate's commonName).
    pub rp_id: String,
    /// The assertion's nonce.
    pub nonce: Nonce,
    /// The mobile certificate asked about.
    pub serial: Vec<u8>,
}

impl Message for StatusRequestPayload {
    const NAME: &'static str = "StatusRequestPayload";

    fn to_value(&self) -> Value {
        map(vec![(1, text(&self.rp_id)), (2, bytes(&self.nonce)), (3, bytes(&self.serial))])
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        Ok(StatusRequestPayload {
            rp_id: bounded_text(fields, 1, "rp id", 1, 64)?,
            nonce: fields.fixed_bytes(2, "nonce")?,
            serial: bounded_bytes(fields, 3, "serial", 20)?,
        })
    }
}

/// `StatusResponsePayload`: Status → Verifier, signed by the status signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusResponsePayload {
    /// As asked.
    pub serial: Vec<u8>,
    /// The status.
    pub status: CertStatus,
    /// thisUpdate.
    pub this_update: UnixTime,
    /// nextUpdate.
    pub next_update: UnixTime,
    /// The request's nonce, echoed.
    pub nonce: Nonce,
    /// The certificate's index in Status's status list (STL-001).
    pub list_index: Option<u64>,
}

impl Message for StatusResponsePayload {
    const NAME: &'static str = "StatusResponsePayload";

    fn to_value(&self) -> Value {
        let mut entries = vec![
            (1, bytes(&self.serial)),
            (3, time_value(self.this_update)),
            (4, time_value(self.next_update)),
            (5, bytes(&self.nonce)),
        ];
        entries.extend(status_entries(&self.status));
        if let Some(index) = self.list_index {
            entries.push((8, Value::Integer(index.into())));
        }
        map(entries)
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        Ok(StatusResponsePayload {
            serial: bounded_bytes(fields, 1, "serial", 20)?,
            status: read_status(fields)?,
            this_update: fields.time(3, "this update")?,
            next_update: fields.time(4, "next update")?,
            nonce: fields.fixed_bytes(5, "nonce")?,
            list_index: match fields.optional(8) {
                None => None,
                Some(Value::Integer(i)) => Some(
                    u64::try_from(i128::from(i))
                        .map_err(|_| Error::new(Code::Malformed, "StatusResponsePayload: list index must be a uint"))?,
                ),
                Some(_) => return Err(Error::new(Code::Malformed, "StatusResponsePayload: list index must be a uint")),
            },
        })
    }
}

/// `StatusFeed`: Issuer → Status, one certificate's new status. The two
/// back-end roles exchange it as bytes like any other message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusFeed {
    /// The mobile certificate.
    pub serial: Vec<u8>,
    /// Its kind (Status refuses `sign` questions from unauthorised verifiers).
    pub kind: Kind,
    /// Its new status.
    pub status: CertStatus,
    /// The Issuer's feed sequence number: every feed the Issuer sends has a
    /// larger one than the feed before (STA-008).
    pub sequence: u64,
    /// The status identifiers of the qualification MSOs recorded with this
    /// certificate: Status answers them as the certificate (QUA-003).
    pub aliases: Vec<Vec<u8>>,
}

impl Message for StatusFeed {
    const NAME: &'static str = "StatusFeed";

    fn to_value(&self) -> Value {
        let mut entries = vec![(1, bytes(&self.serial)), (3, uint(self.kind.wire())), (4, uint(self.sequence))];
        entries.extend(status_entries(&self.status));
        if !self.aliases.is_empty() {
            entries.push((5, Value::Array(self.aliases.iter().map(|a| bytes(a)).collect())));
        }
        map(entries)
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        Ok(StatusFeed {
            serial: bounded_bytes(fields, 1, "serial", 20)?,
            status: read_status(fields)?,
            kind: Kind::from_wire(fields.uint(3, "kind")?)?,
            sequence: fields.uint(4, "sequence")?,
            aliases: match fields.optional(5) {
                None => Vec::new(),
                Some(value) => crate::msgs::issuance::read_serials(value, "aliases")?,
            },
        })
    }
}
