//! The Issuer (the J-LIS role): issuance sessions, the registry of holders,
//! cards, devices and mobile certificates, idempotency records, and the
//! notification outbox. Pure: `records + input -> writes + outputs`, where
//! the records are read through [`IssuerRecords`] and the writes
//! ([`IssuerWrites`]) are applied by the caller in one step.

mod issuance;
mod lifecycle;
mod records;
mod store;

pub use issuance::{challenge, issue};
pub use lifecycle::{
    CardEvent, acknowledge_wipe, card_event, deliver_wipes, device_revocation, holder_action, migrate_with_old_device,
};
pub use store::{IssuerRecords, IssuerWrites, Prune, Scope, WipeId};

use std::collections::BTreeMap;

use crate::msgs::status::CertStatus;
use crate::msgs::{Digest, Kind, Nonce};
use crate::notify::Notification;
use crate::pki::{Authority, TrustAnchor};
use crate::time::UnixTime;

/// What the Issuer is configured with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerConfig {
    /// The mobile root: issues mobile certificates.
    pub mobile_root: Authority,
    /// Trust anchor for card certificates.
    pub card_anchor: TrustAnchor,
    /// Trust anchors for secure-element key attestations: the test PKI's
    /// platform root first, then any root a vendor's wallet attests under
    /// (declared in its capability statement).
    pub platform_anchors: Vec<TrustAnchor>,
    /// Trust anchor for mobile certificates (the mobile root as a trust anchor).
    pub mobile_anchor: TrustAnchor,
    /// Signs receipts and wipe commands (issuer-receipts EKU, under the mobile root).
    pub receipts: crate::pki::Credential,
    /// Signs qualification MSOs (document-signer EKU, under the mobile root; QUA-002).
    pub document_signer: crate::pki::Credential,
    /// The holders' eligibility, as the Issuer's source gives it (the
    /// reference holds one test record for every holder).
    pub eligibility: crate::mdoc::mso::Eligibility,
    /// A built-in mutant's switched-off rule; `None` in the reference.
    pub mutation: Option<crate::mutants::Mutation>,
}

/// An issuance session: `challenged → completed | expired`.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// When the challenge stops being answerable.
    pub expiry: UnixTime,
    /// Whether an issuance consumed it.
    pub completed: bool,
}

/// One mobile certificate in the registry.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MobileCertRecord {
    /// The holder: their card's auth-certificate serial.
    #[serde(with = "crate::codec::bstr::one")]
    pub holder: Vec<u8>,
    /// The kind.
    pub kind: Kind,
    /// The device it lives on (SHA-256 of the attestation's subject name).
    #[serde(with = "crate::codec::bstr::one")]
    pub device: Digest,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// Its notAfter.
    pub not_after: UnixTime,
    /// Its status.
    pub status: CertStatus,
    /// How it came to be: against the card, or moved from a live
    /// certificate by migration path A (INV-013).
    #[serde(default)]
    pub origin: Origin,
    /// The status identifiers of the qualification MSOs issued with this
    /// (`auth`) certificate: they share its status (QUA-003).
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "crate::codec::bstr::list")]
    pub mdocs: Vec<Vec<u8>>,
}

/// How a mobile certificate came to be (INV-013).
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Issued against the card: both card signatures, so the sign password
    /// and the auth PIN (ISS-001), with or without certificates replaced
    /// (migration path B).
    #[default]
    Card,
    /// Moved by migration path A: the certificates the intent replaced and
    /// how the holder was verified on the old device (MIG-001, MIG-006).
    Moved {
        /// The serials the intent replaced.
        #[serde(with = "crate::codec::bstr::list")]
        replaced: Vec<Vec<u8>>,
        /// The user verification the intent stated.
        uv: crate::msgs::UvMethod,
    },
}

/// A card as J-LIS knows it: its two certificates and their status.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CardRecord {
    /// Serial of the card's sign certificate.
    #[serde(with = "crate::codec::bstr::one")]
    pub sign_serial: Vec<u8>,
    /// The sign certificate was revoked (address or name change, …).
    pub sign_revoked: bool,
    /// The auth certificate was revoked (card lost, returned, …).
    pub auth_revoked: bool,
    /// The holder's notification address, once an issuance gave one.
    pub notification_address: Option<String>,
    /// The earlier notAfter of the card's two certificates.
    pub not_after: UnixTime,
    /// The four attributes, once an issuance read them from the sign certificate
    /// (migration path A issues a new `sign` certificate without the card).
    pub attributes: Option<crate::pki::HolderAttributes>,
}

/// A remote-wipe command: `queued → delivered → acknowledged`.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum WipeState {
    /// Waiting for the device to come online.
    Queued,
    /// Sent to the device; no receipt yet.
    Delivered,
    /// The device confirmed the wipe with a signed receipt.
    Acknowledged,
}

/// One wipe command.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct WipeRecord {
    /// The device it is for.
    #[serde(with = "crate::codec::bstr::one")]
    pub device: Digest,
    /// The certificates to wipe.
    #[serde(with = "crate::codec::bstr::list")]
    pub serials: Vec<Vec<u8>>,
    /// The signed command, as sent (a retry sends the same bytes).
    #[serde(with = "crate::codec::bstr::one")]
    pub command: Vec<u8>,
    /// Where it is.
    pub state: WipeState,
}

/// A stored answer for an idempotency key.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    /// SHA-256 of the request body it answered.
    #[serde(with = "crate::codec::bstr::one")]
    pub body_digest: Digest,
    /// The answer, as sent.
    #[serde(with = "crate::codec::bstr::one")]
    pub response: Vec<u8>,
    /// When it was stored (kept for `IDEMPOTENCY_RETENTION_SECS`, ISS-012).
    #[serde(default)]
    pub stored_at: UnixTime,
}

/// Everything that changes at the Issuer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IssuerState {
    /// Issuance sessions by nonce.
    pub sessions: BTreeMap<Nonce, Session>,
    /// Cards by auth-certificate serial.
    pub cards: BTreeMap<Vec<u8>, CardRecord>,
    /// Mobile certificates by serial.
    pub certs: BTreeMap<Vec<u8>, MobileCertRecord>,
    /// Idempotency records by (endpoint, holder, key).
    pub idempotency: BTreeMap<Scope, StoredAnswer>,
    /// The notification outbox.
    pub outbox: Vec<Notification>,
    /// Remote-wipe commands by id.
    pub wipes: BTreeMap<[u8; 16], WipeRecord>,
    /// The sequence number of the last StatusFeed sent (STA-008).
    pub feed_sequence: u64,
}

/// What an Issuer step sends besides its answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IssuerOutput {
    /// The answer to the caller.
    pub response: Vec<u8>,
    /// `StatusFeed` messages for Status, in order.
    pub status_feed: Vec<Vec<u8>>,
}

/// Registers a card J-LIS issued (an administrative input, not a wire flow).
///
/// A card already registered keeps its record: registering it again never
/// lifts a revocation (REV-013).
pub fn register_card(
    config: &IssuerConfig,
    view: &dyn IssuerRecords,
    auth_serial: &[u8],
    sign_serial: &[u8],
    not_after: UnixTime,
) -> crate::error::Result<IssuerWrites> {
    let mut writes = IssuerWrites::default();
    let overwrite = crate::mutants::Mutation::ReRegisterUnrevokes.disables(config.mutation);
    if view.card(auth_serial)?.is_some() && !overwrite {
        return Ok(writes);
    }
    writes.cards.insert(
        auth_serial.to_vec(),
        CardRecord {
            sign_serial: sign_serial.to_vec(),
            sign_revoked: false,
            auth_revoked: false,
            notification_address: None,
            not_after,
            attributes: None,
        },
    );
    Ok(writes)
}
