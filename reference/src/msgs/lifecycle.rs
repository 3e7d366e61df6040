//! Lifecycle messages (spec/messages.cddl, "Lifecycle"): migration path A,
//! holder actions authorised by the card, device revocation and self-deletion,
//! receipts, and remote wipe.

use super::issuance::{KeyRequest, keys_value, read_keys, read_serials, serials_value};
use super::status::{CertStatus, RevocationReason, read_status, status_entries};
use super::{Digest, IdempotencyKey, Message, Nonce, UvMethod, bounded_bytes, bounded_text, bytes, uint};
use crate::codec::{Fields, Value, decode_v0, map, time_value};
use crate::crypto::CryptoProvider;
use crate::error::{Code, Error, Result};
use crate::time::UnixTime;

/// `MigrationIntentPayload`: signed by the old device's `auth` SE key (path A).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationIntentPayload {
    /// A challenge nonce from the Issuer.
    pub nonce: Nonce,
    /// The old certificates to supersede.
    pub replaces: Vec<Vec<u8>>,
    /// The new device's attested keys.
    pub keys: Vec<KeyRequest>,
    /// The holder's notification address.
    pub notification_address: String,
    /// The idempotency key.
    pub idempotency_key: IdempotencyKey,
    /// The holder was verified on the old device.
    pub user_verified: bool,
    /// How.
    pub uv_method: UvMethod,
}

impl MigrationIntentPayload {
    /// Deterministic encoding.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        crate::codec::encode(&map(vec![
            (1, bytes(&self.nonce)),
            (2, serials_value(&self.replaces)),
            (3, keys_value(&self.keys)),
            (4, Value::Text(self.notification_address.clone())),
            (5, bytes(&self.idempotency_key)),
            (6, Value::Bool(self.user_verified)),
            (7, uint(self.uv_method.wire())),
        ]))
    }

    /// Strict decoding; keys checked on the curve with `provider`.
    pub fn from_bytes(provider: &dyn CryptoProvider, payload: &[u8]) -> Result<Self> {
        let mut fields = Fields::open("MigrationIntentPayload", decode_v0(payload)?)?;
        let nonce = fields.fixed_bytes(1, "nonce")?;
        let replaces = read_serials(fields.required(2, "replaces")?, "replaces")?;
        let keys = fields.array(3, "keys")?;
        let notification_address = bounded_text(&mut fields, 4, "notification address", 3, 254)?;
        let idempotency_key = fields.fixed_bytes(5, "idempotency key")?;
        let user_verified = fields.bool(6, "uv flag")?;
        let uv_method = UvMethod::from_wire(fields.uint(7, "uv method")?)?;
        fields.finish()?;
        let keys = read_keys(provider, keys)?;
        Ok(MigrationIntentPayload {
            nonce,
            replaces,
            keys,
            notification_address,
            idempotency_key,
            user_verified,
            uv_method,
        })
    }
}

/// What a holder asks through the card (auth key, PIN): the 24-hour line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HolderAction {
    /// The phone is lost: revoke everything (`device_lost`) and queue a wipe.
    ReportLost,
    /// Put every active certificate on hold.
    Suspend,
    /// Lift the hold: `auth` back to active, `sign` revoked (`reissue_after_hold`).
    Resume,
}

impl HolderAction {
    fn wire(self) -> u64 {
        match self {
            HolderAction::ReportLost => 1,
            HolderAction::Suspend => 2,
            HolderAction::Resume => 3,
        }
    }

    fn from_wire(value: u64) -> Result<Self> {
        match value {
            1 => Ok(HolderAction::ReportLost),
            2 => Ok(HolderAction::Suspend),
            3 => Ok(HolderAction::Resume),
            other => Err(Error::with_detail(Code::Malformed, format!("holder action {other}"))),
        }
    }
}

/// `HolderActionPayload`: signed by the card's auth key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolderActionPayload {
    /// What the holder asks.
    pub action: HolderAction,
    /// When (the card holder's device or the operator's clock).
    pub time: UnixTime,
    /// The idempotency key.
    pub idempotency_key: IdempotencyKey,
}

impl Message for HolderActionPayload {
    const NAME: &'static str = "HolderActionPayload";

    fn to_value(&self) -> Value {
        map(vec![(1, uint(self.action.wire())), (2, time_value(self.time)), (3, bytes(&self.idempotency_key))])
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        Ok(HolderActionPayload {
            action: HolderAction::from_wire(fields.uint(1, "action")?)?,
            time: fields.time(2, "time")?,
            idempotency_key: fields.fixed_bytes(3, "idempotency key")?,
        })
    }
}

/// `DeviceRevocationPayload`: signed by a device SE key: the holder revokes
/// from the device (`holder_request`), or the device deletes itself before
/// trade-in, buy-back or repair (`device_released`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRevocationPayload {
    /// The device's certificates to revoke.
    pub serials: Vec<Vec<u8>>,
    /// `holder_request` or `device_released`.
    pub reason: RevocationReason,
    /// When.
    pub time: UnixTime,
    /// The idempotency key.
    pub idempotency_key: IdempotencyKey,
    /// The holder was verified.
    pub user_verified: bool,
}

impl Message for DeviceRevocationPayload {
    const NAME: &'static str = "DeviceRevocationPayload";

    fn to_value(&self) -> Value {
        map(vec![
            (1, serials_value(&self.serials)),
            (2, uint(self.reason.wire())),
            (3, time_value(self.time)),
            (4, bytes(&self.idempotency_key)),
            (5, Value::Bool(self.user_verified)),
        ])
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        let payload = DeviceRevocationPayload {
            serials: read_serials(fields.required(1, "serials")?, "serials")?,
            reason: RevocationReason::from_wire(fields.uint(2, "reason")?)?,
            time: fields.time(3, "time")?,
            idempotency_key: fields.fixed_bytes(4, "idempotency key")?,
            user_verified: fields.bool(5, "uv flag")?,
        };
        if !matches!(payload.reason, RevocationReason::HolderRequest | RevocationReason::DeviceReleased) {
            return Err(Error::new(Code::Malformed, "a device asks for holder_request or device_released only"));
        }
        Ok(payload)
    }
}

/// What the step a receipt answers did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReceiptAction {
    /// Certificates were revoked (lost phone, device revocation, release).
    Revoked,
    /// A hold was put on.
    Suspended,
    /// A hold was lifted (auth back to good, sign revoked).
    Resumed,
}

impl ReceiptAction {
    /// The wire value.
    pub fn wire(self) -> u64 {
        match self {
            ReceiptAction::Revoked => 1,
            ReceiptAction::Suspended => 2,
            ReceiptAction::Resumed => 3,
        }
    }

    /// From the wire value.
    pub fn from_wire(value: u64) -> Result<Self> {
        Ok(match value {
            1 => ReceiptAction::Revoked,
            2 => ReceiptAction::Suspended,
            3 => ReceiptAction::Resumed,
            other => return Err(Error::with_detail(Code::Malformed, format!("receipt action {other}"))),
        })
    }
}

/// One certificate a receipt names, with its status on record after the step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptEntry {
    /// The certificate.
    pub serial: Vec<u8>,
    /// Its status on record: for a revoked one, the reason and time set
    /// when it was first revoked (REV-002).
    pub status: CertStatus,
}

/// `ReceiptPayload`: signed by the Issuer's receipts key, answering a holder
/// action or a device revocation. A shop verifies a `device_released`
/// receipt offline with the Issuer's trust anchor (REV-006); what it states
/// is true of the registry (REV-010).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptPayload {
    /// What the step did.
    pub action: ReceiptAction,
    /// The certificates it names, each with its status on record.
    pub entries: Vec<ReceiptEntry>,
    /// When the Issuer answered.
    pub time: UnixTime,
    /// The device whose certificates they are (SHA-256 of its attestation
    /// subject); present for a device revocation only.
    pub device: Option<Digest>,
}

impl ReceiptPayload {
    /// The serials named, in order.
    pub fn serials(&self) -> Vec<Vec<u8>> {
        self.entries.iter().map(|e| e.serial.clone()).collect()
    }

    /// The status on record for `serial`, if the receipt names it.
    pub fn status_of(&self, serial: &[u8]) -> Option<CertStatus> {
        self.entries.iter().find(|e| e.serial == serial).map(|e| e.status)
    }
}

impl Message for ReceiptPayload {
    const NAME: &'static str = "ReceiptPayload";

    fn to_value(&self) -> Value {
        let entries = self
            .entries
            .iter()
            .map(|entry| {
                let mut fields = vec![(1, bytes(&entry.serial))];
                fields.extend(status_entries(&entry.status));
                map(fields)
            })
            .collect();
        let mut fields = vec![(1, uint(self.action.wire())), (2, Value::Array(entries)), (3, time_value(self.time))];
        if let Some(device) = &self.device {
            fields.push((4, bytes(device)));
        }
        map(fields)
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        let action = ReceiptAction::from_wire(fields.uint(1, "action")?)?;
        let items = fields.array(2, "entries")?;
        if items.is_empty() || items.len() > 4 {
            return Err(Error::new(Code::Malformed, "a receipt names 1 to 4 certificates"));
        }
        let mut entries = Vec::new();
        for item in items {
            let mut entry = Fields::open("receipt entry", item)?;
            let serial = bounded_bytes(&mut entry, 1, "serial", 20)?;
            let status = read_status(&mut entry)?;
            entry.finish()?;
            entries.push(ReceiptEntry { serial, status });
        }
        let time = fields.time(3, "time")?;
        let device = match fields.optional(4) {
            None => None,
            Some(Value::Bytes(device)) => Some(
                <[u8; 32]>::try_from(device.as_slice())
                    .map_err(|_| Error::new(Code::Malformed, "device digest must be 32 bytes"))?,
            ),
            Some(_) => return Err(Error::new(Code::Malformed, "device digest must be a bstr")),
        };
        Ok(ReceiptPayload { action, entries, time, device })
    }
}

/// `WipeCommandPayload`: signed by the Issuer's receipts key, queued for a
/// lost device and delivered when it is next online.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WipeCommandPayload {
    /// The command id (idempotent retries carry the same id).
    pub command_id: [u8; 16],
    /// The certificates to wipe with their keys.
    pub serials: Vec<Vec<u8>>,
    /// When it was queued.
    pub time: UnixTime,
}

impl Message for WipeCommandPayload {
    const NAME: &'static str = "WipeCommandPayload";

    fn to_value(&self) -> Value {
        map(vec![(1, bytes(&self.command_id)), (2, serials_value(&self.serials)), (3, time_value(self.time))])
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        Ok(WipeCommandPayload {
            command_id: fields.fixed_bytes(1, "command id")?,
            serials: read_serials(fields.required(2, "serials")?, "serials")?,
            time: fields.time(3, "time")?,
        })
    }
}

/// `WipeReceiptPayload`: signed by the device with the wiped `auth` key,
/// just before it is erased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WipeReceiptPayload {
    /// The command answered.
    pub command_id: [u8; 16],
    /// The certificates wiped.
    pub serials: Vec<Vec<u8>>,
    /// When.
    pub time: UnixTime,
}

impl Message for WipeReceiptPayload {
    const NAME: &'static str = "WipeReceiptPayload";

    fn to_value(&self) -> Value {
        map(vec![(1, bytes(&self.command_id)), (2, serials_value(&self.serials)), (3, time_value(self.time))])
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        Ok(WipeReceiptPayload {
            command_id: fields.fixed_bytes(1, "command id")?,
            serials: read_serials(fields.required(2, "serials")?, "serials")?,
            time: fields.time(3, "time")?,
        })
    }
}
